"""How ``actionlab serve`` starts Voila: bind address, links, template, store."""

from __future__ import annotations

import os

from actionlab import server
from actionlab.paths import NOTEBOOKS_DIR, VOILA_TEMPLATES_ROOT
from actionlab.settings import Settings
from actionlab.urls import console_url, join_url, member_url, projector_url


def test_local_by_default(tmp_path):
    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db", port=9100))
    assert "--Voila.ip=127.0.0.1" in plan.argv and "--port=9100" in plan.argv
    assert plan.base_url == "http://127.0.0.1:9100/"
    assert str(NOTEBOOKS_DIR) in plan.argv and "--template=actionlab" in plan.argv
    assert "--VoilaConfiguration.file_denylist=.*" in plan.argv  # no files served
    assert "--VoilaConfiguration.extension_denylist=@voila-dashboards/jupyterlab-preview" in plan.argv
    assert "--VoilaConfiguration.extension_denylist=jupyterlab_pygments" in plan.argv  # no code shown
    assert plan.env["JUPYTER_PATH"].split(os.pathsep)[0] == str(VOILA_TEMPLATES_ROOT)
    assert plan.env["ACTIONLAB_DB"] == f"sqlite:///{tmp_path}/x.db"
    assert plan.env["ACTIONLAB_PUBLIC_URL"] == plan.base_url


def test_room_mode_listens_on_the_lan_and_links_to_the_lan_address(monkeypatch):
    monkeypatch.setattr(server, "lan_address", lambda: "192.0.2.44")
    plan = server.plan(Settings(room=True, port=8866))
    assert "--Voila.ip=0.0.0.0" in plan.argv
    assert plan.base_url == "http://192.0.2.44:8866/"
    assert plan.env["ACTIONLAB_PUBLIC_URL"] == "http://192.0.2.44:8866/"


def test_public_url_overrides(monkeypatch):
    plan = server.plan(Settings(room=True, public_url="https://room.example.org/wb"))
    assert plan.base_url == "https://room.example.org/wb/"


def test_settings_from_env_and_overrides(monkeypatch):
    monkeypatch.setenv("ACTIONLAB_PORT", "9200")
    monkeypatch.setenv("ACTIONLAB_ROOM", "yes")
    s = Settings.from_env()
    assert s.port == 9200 and s.room is True
    assert Settings.from_env(port=9300).port == 9300
    assert s.db_url.endswith("actionlab.db") and os.environ["ACTIONLAB_HOME"] in s.db_url
    assert all(text for text in Settings.help().values())


def test_page_urls():
    base = "http://192.0.2.44:8866/"
    assert console_url(base, "k") == "http://192.0.2.44:8866/voila/render/console.ipynb?key=k"
    assert projector_url(base, "k", "ABC234").endswith("projector.ipynb?key=k&code=ABC234")
    assert join_url(base, "ABC234").endswith("participant.ipynb?code=ABC234")
    assert join_url(base).endswith("participant.ipynb")
    assert member_url("/", "ABC234", "t-1").startswith("/voila/render/participant.ipynb?code=ABC234&me=")


def test_kernel_hygiene_is_part_of_the_plan(tmp_path):
    """Voila runs with the room's kernel manager and page handler, and the settings reach it."""
    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db", kernel_grace=7.5,
                                max_kernels=12, facilitator_reserve=2))
    assert plan.argv[1:3] == ["-m", "actionlab.voila_room"]
    assert ("--VoilaConfiguration.multi_kernel_manager_class="
            "actionlab.voila_room.RoomKernelManager") in plan.argv
    assert "--RoomKernelManager.grace=7.5" in plan.argv
    assert "--RoomKernelManager.max_kernels=12" in plan.argv
    assert "--RoomKernelManager.facilitator_reserve=2" in plan.argv
    # the room-full page reads the workbook's language and the store (facilitator key) from env
    assert plan.env["ACTIONLAB_LANG"] == "zh" and plan.env["ACTIONLAB_DB"].endswith("x.db")


def test_kernel_settings_default_for_a_room_and_come_from_env(monkeypatch):
    s = Settings()
    assert (s.kernel_grace, s.max_kernels, s.facilitator_reserve) == (120.0, 60, 4)
    monkeypatch.setenv("ACTIONLAB_KERNEL_GRACE", "3")
    monkeypatch.setenv("ACTIONLAB_MAX_KERNELS", "5")
    monkeypatch.setenv("ACTIONLAB_FACILITATOR_RESERVE", "1")
    plan = server.plan(Settings.from_env())
    assert {"--RoomKernelManager.grace=3", "--RoomKernelManager.max_kernels=5",
            "--RoomKernelManager.facilitator_reserve=1"} <= set(plan.argv)


# -- what the server renders ------------------------------------------------------------------
def test_voila_renders_the_three_pages_and_nothing_else(tmp_path, monkeypatch):
    import pytest
    import tornado.web
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path))
    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db"))
    # Voila reads voila.py from the first folder of JUPYTER_CONFIG_PATH; the user's stay after
    assert plan.env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(server.VOILA_CONFIG_DIR),
                                                                 str(tmp_path)]
    config = PyFileConfigLoader("voila.py", path=str(server.VOILA_CONFIG_DIR)).load_config()
    assert config.VoilaConfiguration.prelaunch_hook is server.pages_only
    hidden = config.ContentsManager.hide_globs.get_value(["__pycache__"])  # Jupyter's, extended
    assert "analysis.ipynb" in hidden and "__pycache__" in hidden
    assert not {"console.ipynb", "participant.ipynb", "projector.ipynb"} & set(hidden)

    class Request:  # what Voila hands the hook: its request handler
        def __init__(self, path):
            self.path_args = [path]

    for page in ("console.ipynb", "participant.ipynb", "projector.ipynb", "/console.ipynb"):
        assert server.pages_only(Request(page), notebook=None, cwd=str(NOTEBOOKS_DIR)) is None
    for other in ("analysis.ipynb", "./console.ipynb", "../notebooks/console.ipynb",
                  "Console.ipynb", "pages/console.ipynb", "console.ipynb.bak", "", None):
        with pytest.raises(tornado.web.HTTPError) as refused:
            server.pages_only(Request(other), notebook=None, cwd=str(NOTEBOOKS_DIR))
        assert refused.value.status_code == 404, other
    assert (NOTEBOOKS_DIR / "analysis.ipynb").exists()  # the refused one is really there



def test_kernels_talk_to_voila_over_unix_sockets_in_a_short_folder():
    """No TCP ports for a burst of kernels to race for; the socket paths fit the systems'
    limit even where the temporary folder's path is long (macOS)."""
    import pytest
    from traitlets.config import Config

    if os.name != "posix":
        pytest.skip("Unix sockets: POSIX systems only (elsewhere Jupyter's TCP stays)")
    config = Config()
    server.kernel_transport(config, tmp="/tmp")
    assert config.KernelManager.transport == "ipc"
    assert "connection_dir_root" not in config.Voila  # /tmp is short: Voila's default stays
    long_tmp = "/var/folders/zz/" + "x" * 32 + "/T"
    config = Config()
    server.kernel_transport(config, tmp=long_tmp)
    assert config.KernelManager.transport == "ipc"
    assert config.Voila.connection_dir_root == "/tmp"
    socket = config.Voila.connection_dir_root + "/voila_abcdefgh/kernel-" + "0" * 36 + "-ipc-65535"
    assert len(socket) <= server.SOCKET_PATH_MAX
    # the shipped configuration file applies it
    from traitlets.config.loader import PyFileConfigLoader

    shipped = PyFileConfigLoader("voila.py", path=str(server.VOILA_CONFIG_DIR)).load_config()
    assert shipped.KernelManager.transport == "ipc"

# -- several rooms behind one proxy (docs/deployment.md) --------------------------------------
def test_base_url_reaches_voila_the_pages_and_every_link(tmp_path):
    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db", port=8871, base_url="/room1/"))
    assert "--Voila.base_url=/room1/" in plan.argv
    assert plan.env["ACTIONLAB_BASE_URL"] == "/room1/"  # the pages' links within the server
    assert plan.base_url == plan.env["ACTIONLAB_PUBLIC_URL"] == "http://127.0.0.1:8871/room1/"
    assert join_url(plan.base_url, "ABC234") == (
        "http://127.0.0.1:8871/room1/voila/render/participant.ipynb?code=ABC234")
    # what a page inside the server links to: its own path, under the base URL
    assert member_url("/room1/", "ABC234", "t").startswith("/room1/voila/render/participant.ipynb?")
    assert projector_url("/room1/", "k", "ABC234").startswith("/room1/voila/render/projector.ipynb?")
    # one server alone keeps Voila's root
    alone = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db"))
    assert "--Voila.base_url=/" in alone.argv and alone.env["ACTIONLAB_BASE_URL"] == "/"


def test_public_url_is_the_proxy_and_the_base_url_is_added_once():
    def public(url, base):
        return server.public_base(Settings(public_url=url, base_url=base))

    assert public("https://rooms.example.org", "/room3/") == "https://rooms.example.org/room3/"
    assert public("https://rooms.example.org/", "room3") == "https://rooms.example.org/room3/"
    assert public("https://rooms.example.org/room3", "/room3/") == "https://rooms.example.org/room3/"
    assert public("http://10.0.0.5:8080", "/room3/") == "http://10.0.0.5:8080/room3/"
    assert public("https://rooms.example.org/wb", "/") == "https://rooms.example.org/wb/"


def test_base_url_from_env_and_its_spelling(monkeypatch):
    import pytest

    from actionlab.errors import ActionlabError

    monkeypatch.setenv("ACTIONLAB_BASE_URL", "room2")
    assert Settings.from_env().base_url == "/room2/"
    assert Settings.from_env(base_url="/room4").base_url == "/room4/"  # the option wins
    for same in ("", "/", "//"):
        assert Settings(base_url=same).base_url == "/"
    assert Settings(base_url="/site//room-1_a/").base_url == "/site/room-1_a/"
    for bad in ("http://host/room1/", "/room1/?x=1", "/room 1/", "/../room1/", "/room1/#top", "/räum/"):
        with pytest.raises(ActionlabError, match="base URL must be a path"):
            Settings(base_url=bad)


def test_serve_prints_the_rooms_links_behind_the_proxy(tmp_path, fresh_db, monkeypatch, capsys):
    from actionlab import cli

    started = []
    monkeypatch.setattr(server, "run", lambda plan: started.append(plan) or 0)
    url = fresh_db(tmp_path / "rooms.db")
    assert cli.main(["serve", "--db", url, "--port", "8873", "--base-url", "/room3/",
                     "--public-url", "https://rooms.example.org", "--key", "k-3"]) == 0
    out = capsys.readouterr().out
    assert "https://rooms.example.org/room3/voila/render/console.ipynb?key=k-3" in out
    assert "https://rooms.example.org/room3/voila/render/participant.ipynb" in out
    assert "Only this computer" not in out  # the proxy lets the room in
    (plan,) = started
    assert {"--port=8873", "--Voila.ip=127.0.0.1", "--Voila.base_url=/room3/"} <= set(plan.argv)
    assert plan.env["ACTIONLAB_PUBLIC_URL"] == "https://rooms.example.org/room3/"

    # without a proxy the facilitator's links are this machine's, under the base URL
    assert cli.main(["serve", "--db", url, "--port", "8874", "--base-url", "room4", "--key", "k-4"]) == 0
    assert "http://127.0.0.1:8874/room4/voila/render/console.ipynb?key=k-4" in capsys.readouterr().out
    assert cli.main(["serve", "--db", url, "--base-url", "/a b/"]) == 2
    assert "base URL must be a path" in capsys.readouterr().err
