"""`unlocker device` and `unlocker roms`: plain words, exact JSON keys, aliases, unknown names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unlocker.errors import UsageError
from unlocker.index import load_index
from unlocker.index.queries import DEVICE_KEYS, NotInIndex, closest_names, resolve


def test_device_alioth_prints_ab_and_recovery_partition(run_cli) -> None:
    result = run_cli("device", "alioth")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # LineageOS wiki alioth_variant*.yml: is_ab_device true, recovery_partition_name vendor_boot
    assert "A/B slots:          yes" in out
    assert "recovery partition: vendor_boot" in out
    assert "install method:     fastboot_xiaomi_hyperos" in out
    assert "POCO F3" in out and "anti-rollback" in out


def test_device_json_has_exactly_the_documented_keys(run_cli) -> None:
    result = run_cli("device", "alioth", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert tuple(report) == DEVICE_KEYS
    assert report["codename"] == "alioth"
    assert report["ab"] is True and report["recovery_partition"] == "vendor_boot"
    assert report["soc_vendor"] == "qualcomm"
    assert report["names"] == ["POCO F3", "Redmi K40", "Mi 11X"]
    assert "lineageos" in report["roms"] and "crdroid" in report["roms"]


def test_non_ab_device_and_unknown_dynamic_partitions(run_cli) -> None:
    report = json.loads(run_cli("device", "lavender", "--json").stdout)
    assert report["ab"] is False
    assert report["dynamic_partitions"] is None  # the wiki says nothing: not guessed
    assert report["recovery_partition"] == "recovery"
    human = run_cli("device", "lavender").stdout
    assert "A/B slots:          no" in human and "dynamic partitions: unknown" in human


def test_unknown_codename_is_a_usage_error_with_closest_names(run_cli) -> None:
    result = run_cli("device", "aliot")
    assert result.returncode == 2
    assert "'aliot' is not in the index" in result.stderr
    assert "alioth" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("roms", "lavendar").returncode == 2


def test_codename_lookup_ignores_case(run_cli) -> None:
    report = json.loads(run_cli("device", "mi8937", "--json").stdout)
    assert report["codename"] == "Mi8937"


def test_alias_resolves(index_copy: Path) -> None:
    device = index_copy / "devices" / "lavender.yaml"
    device.write_text(device.read_text().replace("aliases: []", "aliases: [lavender_in]"))
    index = load_index(index_copy)
    assert resolve(index, "lavender_in").codename == "lavender"
    assert resolve(index, "LAVENDER_IN").codename == "lavender"
    assert "lavender_in" in closest_names(index, "lavender_i")


def test_shared_alias_asks_which_device() -> None:
    index = load_index()
    with pytest.raises(UsageError) as e:
        resolve(index, "p2371")
    assert "foster" in str(e.value) and "foster_tab" in str(e.value)
    with pytest.raises(NotInIndex):
        resolve(index, "zzzzzz")


def test_roms_for_device_without_refresh_lists_shipped_builds(run_cli) -> None:
    report = json.loads(run_cli("roms", "alioth", "--json").stdout)
    crdroid = next(r for r in report["roms"] if r["id"] == "crdroid")
    build = crdroid["builds"][0]
    assert build["sha256"] == "368525365e29db37e8d2a52796a41aa5de18b5698192685d22c75f0c60e6ebad"
    assert build["size"] == 1597024363 and build["url"].startswith("https://sourceforge.net/")
    lineage = next(r for r in report["roms"] if r["id"] == "lineageos")
    assert lineage["builds"] == [] and lineage["maintained"] is True


def test_roms_defaults_to_the_connected_phone(phone_factory, api_server, run_cli) -> None:
    phone = phone_factory("xiaomi-legacy")  # reports product 'lavender'
    api_server.serve_fixture("/api/v2/devices/lavender/builds", "lineage_v2_lavender.json")
    env = {"UNLOCKER_LINEAGE_API_URL": f"{api_server.base}/api/v2"}
    assert run_cli("index", "update", "lavender", "--rom", "lineageos", env=env).returncode == 0
    result = run_cli("roms", "-s", phone.name, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["codename"] == "lavender"
    lineage = next(r for r in report["roms"] if r["id"] == "lineageos")
    assert lineage["builds"][0]["sha256"]


def test_roms_without_a_phone_fails_cleanly(run_cli) -> None:
    result = run_cli("roms", "-s", "tcp:127.0.0.1:9")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
