"""Checkpoint files as the file system sees them (issue 14, defects 1, 5, 9 and 10): symlinks,
devices, permissions, leftovers of killed saves, clear errors for missing folders and crafted
headers. Each test failed before its fix."""

import json
import os
import stat
import struct
import subprocess
import sys

import numpy as np
import pytest

import autograd
from autograd import CheckpointError


def _tensor_file(path, value):
    autograd.save({"w": autograd.tensor([float(value)])}, path)


def _value(path):
    return autograd.load(path)["w"].tolist()[0]


# ---- 1: symlinks are followed, non-regular targets refused ------------------------------------
def test_save_through_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "ckpt_100.safetensors"
    _tensor_file(target, 1)
    link = tmp_path / "latest"
    os.symlink("ckpt_100.safetensors", link)  # relative, as people make them
    _tensor_file(link, 2)
    assert os.path.islink(link) and os.readlink(link) == "ckpt_100.safetensors"
    assert _value(target) == 2.0 and _value(link) == 2.0


def test_save_through_symlink_into_another_folder(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "best"
    os.symlink(tmp_path / "runs" / "best.safetensors", link)  # dangling: created through the link
    _tensor_file(link, 3)
    assert os.path.islink(link) and _value(tmp_path / "runs" / "best.safetensors") == 3.0
    assert os.listdir(tmp_path / "links") == ["best"]  # the temporary lived next to the target
    assert os.listdir(tmp_path / "runs") == ["best.safetensors"]


def test_save_refuses_fifo_and_devices(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="is a named pipe .FIFO., not a regular file; refusing"):
        _tensor_file(fifo, 1)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        return  # creating a device node needs root (CAP_MKNOD); the FIFO case above still ran
    with pytest.raises(OSError, match="is a character device"):
        _tensor_file(dev, 1)
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


def test_save_to_a_directory_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory; give a file path"):
        _tensor_file(tmp_path, 1)


# ---- 5: permissions follow the umask; an overwritten file keeps its mode ---------------------
@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_follows_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        _tensor_file(tmp_path / "c.safetensors", 1)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "c.safetensors").st_mode) == mode


def test_overwrite_keeps_mode(tmp_path):
    path = tmp_path / "c.safetensors"
    _tensor_file(path, 1)
    os.chmod(path, 0o640)
    _tensor_file(path, 2)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and _value(path) == 2.0


# ---- 9: no temporary survives a failed save; leftovers of killed saves are swept ------------
@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError, MemoryError])
def test_interrupted_save_removes_its_temporary(tmp_path, monkeypatch, exc):
    path = tmp_path / "c.safetensors"
    _tensor_file(path, 1)

    def boom(*a):
        raise exc("interrupted")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(exc):
        _tensor_file(path, 2)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["c.safetensors"] and _value(path) == 1.0


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_next_save_sweeps_temporaries_of_killed_saves(tmp_path):
    path = tmp_path / "c.safetensors"
    _tensor_file(path, 1)
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".c.safetensors.{dead}.0123abcd.jitgrad-tmp"
    busy = tmp_path / f".c.safetensors.{alive}.0123abcd.jitgrad-tmp"  # a save in progress
    other = tmp_path / f".d.safetensors.{dead}.0123abcd.jitgrad-tmp"  # another target's
    mine = tmp_path / ".c.safetensors.notes"  # not ours at all
    for p in (stale, busy, other, mine):
        p.write_bytes(b"partial")
    _tensor_file(path, 2)
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (path, busy, other, mine))


# ---- 10: clear errors ------------------------------------------------------------------------
def test_missing_folder_is_named(tmp_path):
    path = tmp_path / "no" / "such" / "c.safetensors"
    with pytest.raises(FileNotFoundError) as info:
        _tensor_file(path, 1)
    msg = str(info.value)
    assert f"Parent directory {tmp_path / 'no' / 'such'} does not exist" in msg
    assert "tmp" not in msg.replace(str(tmp_path), "")  # the hidden temporary is not mentioned


def _raw_with_header(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


@pytest.mark.parametrize(
    "header",
    [
        {"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 0]}},  # int64 overflow
        {"a": {"dtype": "F32", "shape": [2**62, 4], "data_offsets": [0, 0]}},
        {"a": {"foo": 1}},  # no fields
        {"a": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}},  # unhashable dtype
    ],
)
def test_crafted_headers_raise_checkpoint_error(tmp_path, header):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(_raw_with_header(header))
    with pytest.raises(CheckpointError, match="cannot load checkpoint"):
        autograd.load(path)


def test_deeply_nested_files_raise_checkpoint_error(tmp_path):
    path = tmp_path / "bad.safetensors"
    deep = "[" * 100_000 + "]" * 100_000
    h = ('{"__metadata__": {"x": "y"}, "a": ' + deep + "}").encode()
    path.write_bytes(struct.pack("<Q", len(h)) + h)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        autograd.load(path)
    structure = "[" * 5000 + "]" * 5000
    path.write_bytes(
        _raw_with_header(
            {
                "__metadata__": {
                    "format": "jitgrad",
                    "jitgrad.version": "1",
                    "jitgrad.structure": structure,
                }
            }
        )
    )
    with pytest.raises(CheckpointError, match="nested more than"):
        autograd.load(path)


@pytest.mark.parametrize(
    "structure",
    [
        {"__tensor__": ["t0"]},
        {"__tensor__": "t0", "kind": ["x"]},
        {"__dtype__": ["float32"]},
        {"__tuple__": "abc"},
        {"__dict__": [[["k"], 1]]},
        {"__dict__": [[{"__tensor__": "t0"}, 1]]},
    ],
)
def test_malformed_structure_raises_checkpoint_error(tmp_path, structure):
    path = tmp_path / "bad.safetensors"
    header = {
        "__metadata__": {
            "format": "jitgrad",
            "jitgrad.version": "1",
            "jitgrad.structure": json.dumps(structure),
        },
        "t0": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    path.write_bytes(_raw_with_header(header, np.float32(1).tobytes()))
    with pytest.raises(CheckpointError, match="cannot load checkpoint"):
        autograd.load(path)


def test_save_refuses_what_load_would_refuse(tmp_path):
    deep = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        autograd.save(deep, tmp_path / "c.safetensors")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than"):
        autograd.save(loop, tmp_path / "c.safetensors")
    with pytest.raises(TypeError, match="dict key"):
        autograd.save({(1, autograd.ones(1)): 1}, tmp_path / "c.safetensors")
    assert os.listdir(tmp_path) == []
    ok = {"a": [1, (2, 3)], (1, "x"): {"b": float("nan")}}
    autograd.save(ok, tmp_path / "c.safetensors")
    back = autograd.load(tmp_path / "c.safetensors")
    assert back["a"] == [1, (2, 3)] and np.isnan(back[(1, "x")]["b"])
