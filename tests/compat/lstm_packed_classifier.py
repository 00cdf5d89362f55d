"""Classify variable-length sequences with an LSTM over packed batches: a Dataset of
sequences, a collate_fn that pads them (pad_sequence) and keeps their lengths, a DataLoader
with workers, pack_padded_sequence(enforce_sorted=False) into nn.LSTM, the final hidden state
into a linear head. The label is whether a sequence's mean is positive, flipped for 10% of
the sequences, so the best possible loss is about 0.33."""

import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset


class Sequences(Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.items = []
        for _ in range(n):
            length = int(rng.integers(3, 13))
            seq = rng.normal(rng.normal(0, 0.5), 1.0, size=(length, 1)).astype(np.float32)
            label = int(seq.mean() > 0)
            if rng.random() < 0.1:
                label = 1 - label
            self.items.append((seq, label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        seq, label = self.items[i]
        return torch.from_numpy(seq), label


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True), lengths, torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.head(h_n[-1])


def evaluate(model, loader, criterion):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for padded, lengths, labels in loader:
            total += criterion(model(padded, lengths), labels).item() * len(labels)
            count += len(labels)
    return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=str, default=".")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(
        Sequences(384, 1),
        batch_size=32,
        shuffle=True,
        collate_fn=collate,
        num_workers=2,
        pin_memory=True,
    )
    val_loader = DataLoader(Sequences(256, 2), batch_size=128, collate_fn=collate)
    model = Classifier().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(args.epochs):
        model.train()
        for padded, lengths, labels in train_loader:
            padded, labels = padded.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(padded, lengths), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
        print(f"epoch {epoch}: val loss {evaluate(model, val_loader, criterion):.4f}")
    print(f"final_loss={evaluate(model, val_loader, criterion):.6f}")


if __name__ == "__main__":
    main()
