from __future__ import annotations

import pytest

from foibot import settings as config
from foibot.errors import ConfigError
from tests.helpers import cli, write_config


def test_bad_port_exits_2_with_one_line_naming_file_and_key(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text('[smtp]\nhost = "x"\nport = "abc"\n')
    r = cli(capsys, path, "forces")
    assert r.code == 2
    assert r.err.strip() == 'foibot: config.toml: [smtp] port: expected an integer, got "abc"'
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    "text, message",
    [
        ('[smtp]\nhots = "x"\n', "config.toml: [smtp] hots: unknown key"),
        ('[smpt]\nhost = "x"\n', "config.toml: [smpt]: unknown section"),
        ('[smtp]\nhost = "x"\nsecurity = "tls"\n', '[smtp] security: expected one of'),
        ('[imap]\nhost = "x"\nmark_seen = "yes"\n', "[imap] mark_seen: expected true or false"),
        ('[sender]\nname = "J"\naddress = "nobody"\n', "[sender] address: expected an email"),
        ('[sender]\nreply_to = "foi@x.org"\n', "reply_to: the pattern must contain {ref}"),
        ("[smtp\n", "config.toml: not valid TOML"),
        ('[schedule]\nchase_time = "25:00"\n', "chase_time: expected HH:MM"),
    ],
)
def test_invalid_configs_are_named(tmp_path, capsys, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    r = cli(capsys, path, "forces")
    assert r.code == 2
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_missing_required_key_is_reported_on_use(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text('[sender]\nname = "Jane"\n[state]\ndir = "s"\n')
    assert cli(capsys, path, "campaign", "create", "c1", "--var", "question=q").code == 0
    r = cli(capsys, path, "send", "c1")
    assert r.code == 2
    assert r.err.strip() == "foibot: config.toml: [sender] address: required key is missing"


def test_missing_config_file_is_one_line(tmp_path, capsys):
    r = cli(capsys, tmp_path / "nope.toml", "forces")
    assert r.code == 2 and "config file not found" in r.err


def test_password_env_and_command(tmp_path, monkeypatch):
    path = write_config(tmp_path, smtp=("127.0.0.1", 25),
                        extra="")
    text = path.read_text().replace('security = "none"', 'security = "none"\npassword_command = "echo s3cret"')
    path.write_text(text)
    assert config.load(path).smtp.password() == "s3cret"
    path.write_text(text.replace('password_command = "echo s3cret"', 'password_env = "FOIBOT_X_PW"'))
    monkeypatch.delenv("FOIBOT_X_PW", raising=False)
    with pytest.raises(ConfigError, match="FOIBOT_X_PW is not set"):
        config.load(path).smtp.password()
    monkeypatch.setenv("FOIBOT_X_PW", "pw2")
    assert config.load(path).smtp.password() == "pw2"


def test_init_writes_example_and_refuses_to_overwrite(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli(capsys, None, "init")
    assert r.code == 0
    written = (tmp_path / "config.toml").read_text()
    assert "[smtp]" in written and "password_env" in written
    assert (tmp_path / "state" / "campaigns").is_dir()
    config.load(tmp_path / "config.toml")  # the example itself validates
    r = cli(capsys, None, "init")
    assert r.code == 2 and "already exists" in r.err
    assert (tmp_path / "config.toml").read_text() == written


def test_example_config_documents_every_key():
    from foibot.setup import example_config_text

    text = example_config_text()
    for section, keys in config.SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert key in text, f"config.example.toml does not document [{section}] {key}"


@pytest.mark.parametrize("args, message", [
    (("send",), "foibot: Missing argument 'NAME'. (see `foibot send --help`)"),
    (("sendd",), "foibot: No such command 'sendd'. (see `foibot --help`)"),
    (("forces", "--jsn"), "foibot: No such option: --jsn"),
])
def test_usage_errors_are_one_line(capsys, args, message):
    r = cli(capsys, None, *args)
    assert r.code == 2
    assert r.err.strip().startswith(message) and len(r.err.strip().splitlines()) == 1


def test_a_read_limit_must_be_positive(tmp_path, capsys):
    """Checked before any connection: a poll with no time to read anything would mark every
    message unreadable."""
    path = write_config(tmp_path, imap=("127.0.0.1", 9, "jane", "secret"))
    path.write_text(path.read_text().replace("[imap]\n", "[imap]\nread_limit_seconds = 0\n"))
    r = cli(capsys, path, "poll")
    assert r.code == 2
    assert r.err == "foibot: [imap] read_limit_seconds: must be more than 0, got 0\n"
