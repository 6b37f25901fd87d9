"""Private folders left in the temporary folder by store servers that were killed with their
Voila process (``kill -9``, a power cut) are removed when the next server starts, and only
those: a live server's folder, a folder just made and other people's files stay."""

from __future__ import annotations

import os
import socket
import time

from actionlab import storeserver


def _folder(parent, name: str, *, listening: bool, age_s: float):
    folder = parent / f"{storeserver.FOLDER_PREFIX}{name}"
    folder.mkdir(mode=0o700)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(folder / "store.sock"))
    if listening:
        sock.listen()
    else:
        sock.close()  # the socket file stays, as a killed server leaves it
    then = time.time() - age_s
    os.utime(folder, (then, then))
    return folder, sock


def test_only_dead_servers_folders_are_swept(tmp_path):
    dead, _ = _folder(tmp_path, "dead", listening=False, age_s=3600)
    live, server = _folder(tmp_path, "live", listening=True, age_s=3600)
    young, _ = _folder(tmp_path, "young", listening=False, age_s=5)
    empty = tmp_path / f"{storeserver.FOLDER_PREFIX}empty"
    empty.mkdir()
    os.utime(empty, (0, 0))
    other = tmp_path / "someone-elses-folder"
    other.mkdir()
    os.utime(other, (0, 0))
    try:
        removed = storeserver.sweep(str(tmp_path))
        assert sorted(removed) == sorted([str(dead), str(empty)])
        assert not dead.exists() and not empty.exists()
        assert (live / "store.sock").exists()  # its server still listens
        assert (young / "store.sock").exists()  # may be a server that is starting
        assert other.exists()
    finally:
        server.close()


def test_a_new_server_sweeps_the_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead, _ = _folder(tmp_path, "dead", listening=False, age_s=3600)
    folder = storeserver._private_folder()  # in /tmp when tmp_path is too deep for a socket
    try:
        assert not dead.exists()
        assert os.path.isdir(folder)
        assert os.path.basename(folder).startswith(storeserver.FOLDER_PREFIX)
    finally:
        os.rmdir(folder)
