// `webpack` (webpack-cli) or webpack's Node API with this config: dist-webpack/ with the app's
// bundle, simdgrad's Web Worker as its own chunk and the .wasm files as assets, all found by
// webpack through simdgrad's `new URL(..., import.meta.url)`. The page is index.html pointing at
// the bundle (written by the small plugin below; html-webpack-plugin does the same).
// `webpack serve` (webpack-dev-server) sends the COOP/COEP headers of devServer.headers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

class IndexHtml {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('IndexHtml', (compilation) => {
      compilation.hooks.processAssets.tap('IndexHtml', () => {
        const html = readFileSync(here('./index.html'), 'utf8').replace(
          '/src/main.js',
          './main.js'
        );
        compilation.emitAsset('index.html', new compiler.webpack.sources.RawSource(html));
      });
    });
  }
}

// Cross-origin isolation, for workers sharing the kernels' memory (see vite.config.js).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default {
  mode: 'production',
  entry: here('./src/main.js'),
  output: {
    path: here('./dist-webpack'),
    filename: 'main.js',
    clean: true,
    assetModuleFilename: 'assets/[name]-[contenthash:8][ext]',
  },
  plugins: [new IndexHtml()],
  devServer: { headers: isolation },
};
