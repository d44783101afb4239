// A tiny vision transformer for 28x28 digits, in its own module so that data-parallel workers can
// import it (vit.ts names this file in the Trainer's `replica` option). Attention is written out
// with matmul, softmax, reshape and transpose, as one would in PyTorch without
// nn.MultiheadAttention; state-dict keys follow timm's ViT (blocks.0.attn.qkv.weight, pos_embed).
import { F, nn, randn, type Tensor } from 'simdgrad';

/** Multi-head self-attention over tokens [N, T, dim]. */
export class Attention extends nn.Module {
  readonly qkv: nn.Linear;
  readonly proj: nn.Linear;

  constructor(
    readonly dim: number,
    readonly numHeads: number
  ) {
    super();
    if (dim % numHeads !== 0)
      throw new RangeError(`Attention: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.qkv = new nn.Linear(dim, 3 * dim);
    this.proj = new nn.Linear(dim, dim);
  }

  forward(x: Tensor): Tensor {
    const [n, t, d] = x.shape;
    const h = this.numHeads;
    const headDim = d / h;
    // [N, T, 3D] -> [N, T, 3, H, Dh] -> [3, N, H, T, Dh]: q, k and v of every head.
    const qkv = this.qkv.forward(x).reshape([n, t, 3, h, headDim]).permute([2, 0, 3, 1, 4]);
    const [q, k, v] = F.chunk(qkv, 3, 0).map((a) => a.squeeze(0)); // [N, H, T, Dh] each
    const scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(headDim)); // [N, H, T, T]
    const out = F.softmax(scores, -1).matmul(v); // [N, H, T, Dh]
    return this.proj.forward(out.transpose(1, 2).reshape([n, t, d]));
  }
}

/** Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)) with a GELU MLP. */
export class Block extends nn.Module {
  readonly norm1: nn.LayerNorm;
  readonly attn: Attention;
  readonly norm2: nn.LayerNorm;
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;

  constructor(dim: number, numHeads: number, mlpRatio: number) {
    super();
    this.norm1 = new nn.LayerNorm(dim);
    this.attn = new Attention(dim, numHeads);
    this.norm2 = new nn.LayerNorm(dim);
    this.fc1 = new nn.Linear(dim, mlpRatio * dim);
    this.fc2 = new nn.Linear(mlpRatio * dim, dim);
  }

  forward(x: Tensor): Tensor {
    const y = x.add(this.attn.forward(this.norm1.forward(x)));
    return y.add(this.fc2.forward(F.gelu(this.fc1.forward(this.norm2.forward(y)))));
  }
}

export interface TinyViTOptions {
  /** Side of the square patches (default 7: 16 tokens of a 28x28 image). */
  patchSize?: number;
  dim?: number;
  depth?: number;
  numHeads?: number;
  mlpRatio?: number;
  numClasses?: number;
}

/** [N, 1, 28, 28] -> logits [N, numClasses]: patchify conv, learned position embedding,
 * `depth` blocks, final LayerNorm, mean over tokens, linear head. */
export class TinyViT extends nn.Module {
  readonly patchEmbed: nn.Conv2d;
  readonly posEmbed: nn.Parameter;
  readonly blocks: nn.ModuleList;
  readonly norm: nn.LayerNorm;
  readonly head: nn.Linear;

  constructor(opts: TinyViTOptions = {}) {
    super();
    const {
      patchSize = 7,
      dim = 64,
      depth = 2,
      numHeads = 4,
      mlpRatio = 2,
      numClasses = 10,
    } = opts;
    if (28 % patchSize !== 0)
      throw new RangeError(`TinyViT: patchSize ${patchSize} does not divide 28`);
    const tokens = (28 / patchSize) ** 2;
    this.patchEmbed = new nn.Conv2d(1, dim, patchSize, { stride: patchSize });
    // timm's init: N(0, 0.02) (its truncation at 2 std changes nothing that matters here).
    const pos = randn([1, tokens, dim]);
    pos.data().forEach((v, i, a) => {
      a[i] = 0.02 * v;
    });
    this.posEmbed = new nn.Parameter(pos);
    this.blocks = new nn.ModuleList(
      Array.from({ length: depth }, () => new Block(dim, numHeads, mlpRatio))
    );
    this.norm = new nn.LayerNorm(dim);
    this.head = new nn.Linear(dim, numClasses);
  }

  forward(x: Tensor): Tensor {
    const p = this.patchEmbed.forward(x); // [N, D, 28/p, 28/p]
    const [n, d] = p.shape;
    let h = p.reshape([n, d, -1]).transpose(1, 2).add(this.posEmbed); // tokens [N, T, D]
    for (const block of this.blocks) h = (block as Block).forward(h);
    return this.head.forward(this.norm.forward(h).mean(1)); // mean-pool the tokens
  }
}
