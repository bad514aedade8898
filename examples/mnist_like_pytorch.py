"""The network of PyTorch's MNIST example, trained on Fashion-MNIST, written line for line as a
PyTorch user writes it.

Only the import block below names this framework. Swap it for PyTorch's (the commented block
under it) and the rest is a valid PyTorch program: that is the test of this file
(``tests/test_examples.py`` runs it both ways).

    python examples/mnist_like_pytorch.py --epochs 1               # a full epoch
    python examples/mnist_like_pytorch.py --max-steps 100 --dry-run  # a quick look

The data: the four IDX files of Fashion-MNIST (``apt-get install dataset-fashion-mnist`` puts
them in /usr/share/datasets/fashion-mnist; ``--data`` points elsewhere), read here with NumPy
so that both frameworks get the same arrays.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import numpy as np

# --- imports: this framework
import tinygrad_cnn as torch
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
import tinygrad_cnn.optim as optim
from tinygrad_cnn.optim.lr_scheduler import StepLR
from tinygrad_cnn.utils.data import DataLoader, TensorDataset

# --- end of imports
# PyTorch's:
#     import torch
#     import torch.nn as nn
#     import torch.nn.functional as F
#     import torch.optim as optim
#     from torch.optim.lr_scheduler import StepLR
#     from torch.utils.data import DataLoader, TensorDataset

MEAN, STD = 0.2860, 0.3530  # of the Fashion-MNIST training images (MNIST's: 0.1307, 0.3081)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)  # (N, 32, 26, 26)
        x = F.relu(x)
        x = self.conv2(x)  # (N, 64, 24, 24)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)  # (N, 64, 12, 12)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)  # (N, 9216)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (raw or gzipped) as a NumPy array: magic, dimensions, then the bytes."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(folder: str, train: bool, limit: int | None = None) -> TensorDataset:
    prefix = "train" if train else "t10k"
    folder = Path(folder)
    images = read_idx(next(folder.glob(f"{prefix}-images-idx3-ubyte*")))[:limit]
    labels = read_idx(next(folder.glob(f"{prefix}-labels-idx1-ubyte*")))[:limit]
    x = ((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None]  # (N, 1, 28, 28)
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64)))


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            seen = batch_idx * len(data)
            print(
                f"Train Epoch: {epoch} [{seen}/{len(train_loader.dataset)} "
                f"({100.0 * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}"
            )
        if args.max_steps and batch_idx + 1 >= args.max_steps:
            break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0.0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    n = len(test_loader.dataset)
    test_loss /= n
    print(
        f"\nTest set: Average loss: {test_loss:.4f}, "
        f"Accuracy: {correct}/{n} ({100.0 * correct / n:.0f}%)\n"
    )
    return correct / n


def main(argv=None):
    parser = argparse.ArgumentParser(description="PyTorch's MNIST example, on Fashion-MNIST")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--no-cuda", action="store_true", default=False)
    parser.add_argument("--dry-run", action="store_true", default=False, help="one epoch only")
    parser.add_argument("--max-steps", type=int, default=0, help="training steps per epoch")
    parser.add_argument("--test-size", type=int, default=None, help="test images used")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--save-model", action="store_true", default=False)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    use_cuda = not args.no_cuda and torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")

    train_set = load_fashion_mnist(args.data, train=True)
    test_set = load_fashion_mnist(args.data, train=False, limit=args.test_size)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=args.test_batch_size)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    accuracy, start = 0.0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(model, device, test_loader)
        scheduler.step()
        print(f"epoch {epoch}: {time.perf_counter() - start:.1f} s")
        if args.dry_run:
            break

    if args.save_model:
        torch.save(model.state_dict(), "fashion_mnist_cnn.pt")
    return accuracy


if __name__ == "__main__":
    main()
