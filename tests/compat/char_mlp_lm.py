"""A character-level language model in the style of the well-known educational ones: a
context of a few characters, embedded and fed to an MLP that predicts the next character.
The idioms of such scripts: an "infinite" loader (RandomSampler with replacement and a huge
num_samples, consumed with next()), AdamW with gradient clipping, TensorBoard logging,
an inference_mode evaluation, the best model checkpointed with its optimizer state and
config, and text sampled with torch.multinomial from a seeded Generator."""

import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.sampler import RandomSampler
from torch.utils.tensorboard import SummaryWriter


class CharDataset(Dataset):
    def __init__(self, text, block_size, stoi):
        self.data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
        self.block_size = block_size

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, idx):
        chunk = self.data[idx : idx + self.block_size + 1]
        return chunk[:-1], chunk[-1]


class MLP(nn.Module):
    def __init__(self, vocab_size, block_size, n_embd=24, n_hidden=128):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(block_size * n_embd, n_hidden), nn.Tanh(), nn.Linear(n_hidden, vocab_size)
        )

    def forward(self, idx, targets=None):
        x = self.wte(idx).view(idx.size(0), -1)
        logits = self.mlp(x)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss


@torch.inference_mode()
def evaluate(model, dataset, batch_size=256):
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    losses = [model(x, y)[1].item() * len(y) for x, y in loader]
    model.train()
    return sum(losses) / len(dataset)


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -model.block_size :]
        logits, _ = model(idx_cond)
        logits = logits / temperature
        if top_k is not None:
            v, _ = torch.topk(logits, top_k)
            logits[logits < v[:, [-1]]] = -float("Inf")
        probs = F.softmax(logits, dim=-1)
        idx_next = torch.multinomial(probs, num_samples=1, generator=generator)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--block-size", type=int, default=4)
    parser.add_argument("--work-dir", type=str, default="out")
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.cuda.manual_seed_all(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.txt")).read()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for ch, i in stoi.items()}
    n = int(0.9 * len(text))
    train_ds = CharDataset(text[:n], args.block_size, stoi)
    val_ds = CharDataset(text[n:], args.block_size, stoi)

    model = MLP(len(chars), args.block_size).to(device)
    print(f"number of parameters: {sum(p.numel() for p in model.parameters())}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, betas=(0.9, 0.99), weight_decay=0.01)
    writer = SummaryWriter(log_dir=os.path.join(args.work_dir, "tb"))
    batch_loader = iter(
        DataLoader(
            train_ds,
            sampler=RandomSampler(train_ds, replacement=True, num_samples=int(1e10)),
            pin_memory=True,
            batch_size=64,
            num_workers=2,
        )
    )

    best_loss = None
    for step in range(args.max_steps):
        X, Y = [t.to(device) for t in next(batch_loader)]
        logits, loss = model(X, Y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        writer.add_scalar("Loss/train", loss.item(), step)
        if step > 0 and step % 100 == 0 or step == args.max_steps - 1:
            val_loss = evaluate(model, val_ds)
            writer.add_scalar("Loss/val", val_loss, step)
            writer.flush()
            print(f"step {step} train loss {loss.item():.4f} val loss {val_loss:.4f}")
            if best_loss is None or val_loss < best_loss:
                best_loss = val_loss
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "step": step,
                        "best_val_loss": best_loss,
                        "config": {"block_size": args.block_size, "vocab": "".join(chars)},
                    },
                    os.path.join(args.work_dir, "ckpt.pt"),
                )
    writer.close()

    ckpt = torch.load(os.path.join(args.work_dir, "ckpt.pt"), map_location=device)
    model = MLP(len(ckpt["config"]["vocab"]), ckpt["config"]["block_size"])
    model.load_state_dict(ckpt["model"])
    g = torch.Generator(device=device).manual_seed(42)
    start = torch.zeros((1, args.block_size), dtype=torch.long) + stoi[" "]
    out = generate(model, start, 120, temperature=0.8, top_k=10, generator=g)
    print("sample:", "".join(itos[i] for i in out[0].tolist()))
    final = evaluate(model, val_ds)
    assert abs(final - ckpt["best_val_loss"]) < 1e-4
    print(f"final_loss={final:.6f}")


if __name__ == "__main__":
    main()
