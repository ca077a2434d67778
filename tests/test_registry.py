from __future__ import annotations

import json

import pytest

from foibot.errors import ConfigError
from foibot.settings import ForcesSettings
from foibot.registry import Registry, shipped
from tests.helpers import cli


def test_groups_have_the_right_sizes():
    r = Registry.from_settings()
    assert len(r.group("england-wales")) == 43
    assert len(r.group("default")) == 44
    assert len(r.group("uk-territorial")) == 45
    assert len(r.group("all")) == 48
    default = {f.id for f in r.group("default")}
    assert "btp" in default and "police-scotland" not in default and "northern-ireland" not in default
    assert "ministry-of-defence-police" not in default


def test_every_force_has_regime_address_and_source():
    forces = shipped()
    assert len({f.id for f in forces}) == len(forces) == 48
    for f in forces:
        assert f.regime in ("foia", "foisa")
        assert f.email and "@" in f.email, f.id
        assert f.email_source
    regimes = {f.id: f.regime for f in forces}
    assert regimes["police-scotland"] == "foisa"
    assert [i for i, r in regimes.items() if r == "foisa"] == ["police-scotland"]


def test_config_overrides_excludes_and_adds():
    r = Registry.from_settings(ForcesSettings(
        email={"bedfordshire": "foi@beds.police.uk"},
        exclude=("city-of-london",),
        add=({"id": "pcc-x", "name": "Example PCC", "email": "foi@pcc.example"},),
    ))
    assert r.get("bedfordshire").email == "foi@beds.police.uk"
    assert r.get("bedfordshire").email_source == "config.toml"
    assert len(r.group("default")) == 43
    assert "pcc-x" in {f.id for f in r.group("all")}
    with pytest.raises(ConfigError):
        Registry.from_settings(ForcesSettings(exclude=("atlantis",)))


def test_forces_json_interface(capsys):
    r = cli(capsys, None, "forces", "--group", "default", "--json")
    assert r.code == 0
    rows = json.loads(r.out)
    assert len(rows) == 44
    for row in rows:
        assert {"id", "name", "nation", "regime", "email"} <= row.keys()
    r = cli(capsys, None, "forces", "--group", "nowhere")
    assert r.code == 2 and "no such group" in r.err


def test_domain_lookup_spans_pnn_move():
    r = Registry.from_settings()
    assert [f.id for f in r.by_domain("essex.pnn.police.uk")] == ["essex"]
    assert [f.id for f in r.by_domain("surrey.police.uk")] == ["surrey"]


def test_campaign_from_a_toml_file(tmp_path, capsys):
    from tests.helpers import write_config

    cfg = write_config(tmp_path)
    spec = tmp_path / "campaign.toml"
    spec.write_text('group = "uk-territorial"\n[vars]\nquestion = "How many officers?"\n')
    r = cli(capsys, cfg, "campaign", "create", "c1", "--file", str(spec), "--json")
    assert r.code == 0, r.err
    assert len(json.loads(r.out)["requests"]) == 45
    shown = json.loads(cli(capsys, cfg, "campaign", "show", "c1", "--json").out)
    assert shown["variables"] == {"question": "How many officers?"}
    assert shown["group"] == "uk-territorial"
    spec.write_text('grop = "all"\n')
    r = cli(capsys, cfg, "campaign", "create", "c2", "--file", str(spec))
    assert r.code == 2 and r.err.strip() == "foibot: campaign.toml: grop: unknown key (known: group, template, vars)"
    spec.write_text('group = "all"\n')  # no question: the shipped letter needs one
    r = cli(capsys, cfg, "campaign", "create", "c3", "--file", str(spec))
    assert r.code == 2 and "undefined variable: question" in r.err
