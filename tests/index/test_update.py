"""`unlocker index update`: recorded API answers from a local server; the cache stays intact on failure."""

from __future__ import annotations

import json
from pathlib import Path

from unlocker.index import load_index
from unlocker.index.update import refresh

V2_PATH = "/api/v2/devices/lavender/builds"
V1_PATH = "/api/v1/lavender/nightly/0"
ZIP_PATH = "/full/lavender/20261120/lineage-18.1-20261120-nightly-lavender-signed.zip"
GOOD_SHA = "9f2b5c1d7e3a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c"


def _env(api_server, version: str = "v2") -> dict[str, str]:
    return {
        "UNLOCKER_LINEAGE_API_URL": f"{api_server.base}/api/{version}",
        "UNLOCKER_CRDROID_OTA_URL": f"{api_server.base}/crdroid-ota",
    }


def _cache_file(cli_env: dict[str, str], rom: str = "lineageos") -> Path:
    return Path(cli_env["UNLOCKER_CACHE_DIR"]) / "index" / "builds" / rom / "lavender.json"


def _lineage(report: dict) -> dict:
    return next(r for r in report["roms"] if r["id"] == "lineageos")


def test_update_then_roms_lists_the_build(api_server, run_cli, cli_env) -> None:
    api_server.serve_fixture(V2_PATH, "lineage_v2_lavender.json")
    result = run_cli("index", "update", "lavender", "--rom", "lineageos", "--json", env=_env(api_server))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] == 0 and summary["results"][0]["builds"] == 1
    assert api_server.requests[0][0] == V2_PATH
    assert api_server.requests[0][1].startswith("unlocker/")
    # the shipped data is untouched: the build lives only in the user cache
    assert _cache_file(cli_env).exists()

    shown = run_cli("roms", "lavender", "--json")
    assert shown.returncode == 0, shown.stderr
    lineage = _lineage(json.loads(shown.stdout))
    build = lineage["builds"][0]
    assert build["url"] == api_server.base + ZIP_PATH
    assert build["size"] == 734003200
    assert build["sha256"] == GOOD_SHA
    assert build["mirrors"] == []
    assert {f["artefact"] for f in build["files"]} == {"rom_zip", "recovery"}
    assert lineage["refreshed_at"]

    human = run_cli("roms", "lavender")
    assert GOOD_SHA in human.stdout and "LineageOS 18.1" in human.stdout


def _prime_cache(api_server, run_cli) -> None:
    api_server.serve_fixture(V2_PATH, "lineage_v2_lavender.json")
    assert run_cli("index", "update", "lavender", "--rom", "lineageos", env=_env(api_server)).returncode == 0


def _assert_failure_keeps_cache(api_server, run_cli, cli_env, expected: str) -> None:
    before = _cache_file(cli_env).read_bytes()
    result = run_cli("index", "update", "lavender", "--rom", "lineageos", env=_env(api_server))
    assert result.returncode == 1
    assert expected in result.stderr
    assert "previous cached data is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert _cache_file(cli_env).read_bytes() == before
    leftovers = [p.name for p in _cache_file(cli_env).parent.iterdir() if p.name != "lavender.json"]
    assert leftovers == []
    shown = json.loads(run_cli("roms", "lavender", "--json").stdout)
    assert _lineage(shown)["builds"][0]["sha256"] == GOOD_SHA


def test_answer_without_sha256_is_refused(api_server, run_cli, cli_env) -> None:
    _prime_cache(api_server, run_cli)
    api_server.serve_fixture(V2_PATH, "lineage_v2_lavender_no_sha256.json")
    _assert_failure_keeps_cache(api_server, run_cli, cli_env, "without a sha256")


def test_http_500_is_reported(api_server, run_cli, cli_env) -> None:
    _prime_cache(api_server, run_cli)
    api_server.serve(V2_PATH, '{"error": "Internal Server Error"}', status=500)
    _assert_failure_keeps_cache(api_server, run_cli, cli_env, "answered HTTP 500")


def test_malformed_json_is_reported(api_server, run_cli, cli_env) -> None:
    _prime_cache(api_server, run_cli)
    api_server.serve_fixture(V2_PATH, "lineage_v2_malformed.json")
    _assert_failure_keeps_cache(api_server, run_cli, cli_env, "did not answer valid JSON")


def test_unknown_device_on_the_server_is_reported(api_server, run_cli, cli_env) -> None:
    _prime_cache(api_server, run_cli)
    api_server.serve(V2_PATH, '{"error": "This device has no available builds."}', status=400)
    _assert_failure_keeps_cache(api_server, run_cli, cli_env, "no available builds")


def test_unreachable_api(run_cli) -> None:
    env = {"UNLOCKER_LINEAGE_API_URL": "http://127.0.0.1:9/api/v2"}
    result = run_cli("index", "update", "lavender", "--rom", "lineageos", env=env)
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9/api/v2/devices/lavender/builds" in result.stderr
    assert "Traceback" not in result.stderr


def test_v1_api_takes_sha256_from_the_sidecar(api_server, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("UNLOCKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", f"{api_server.base}/api/v1")
    api_server.serve_fixture(V1_PATH, "lineage_v1_lavender.json")
    api_server.serve(ZIP_PATH + ".sha256", f"{GOOD_SHA}  lineage-18.1-20261120-nightly-lavender-signed.zip\n")
    result = refresh(load_index().roms["lineageos"], "lavender")
    assert result.error is None and result.builds == 1
    record = json.loads(Path(result.path).read_text())
    assert record["builds"][0]["files"][0]["sha256"] == GOOD_SHA
    assert record["builds"][0]["files"][0]["size"] == 734003200


def test_v1_without_sidecar_is_refused(api_server, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("UNLOCKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", f"{api_server.base}/api/v1")
    api_server.serve_fixture(V1_PATH, "lineage_v1_lavender.json")
    result = refresh(load_index().roms["lineageos"], "lavender")
    assert result.error and "without a sha256" in result.error and "HTTP 404" in result.error
    assert not (tmp_path / "cache" / "index" / "builds" / "lineageos" / "lavender.json").exists()


def test_crdroid_ota_refresh(api_server, run_cli) -> None:
    api_server.serve_fixture("/crdroid-ota/lavender.json", "crdroid_lavender.json")
    result = run_cli("index", "update", "lavender", "--rom", "crdroid", env=_env(api_server))
    assert result.returncode == 0, result.stderr
    report = json.loads(run_cli("roms", "lavender", "--json").stdout)
    crdroid = next(r for r in report["roms"] if r["id"] == "crdroid")
    assert crdroid["builds"][0]["version"] == "9.99"
    assert crdroid["builds"][0]["sha256"].startswith("a0b1c2")
    assert crdroid["builds"][0]["url"].startswith(api_server.base)


def test_update_all_roms_for_one_device_reports_each(api_server, run_cli) -> None:
    api_server.serve_fixture(V2_PATH, "lineage_v2_lavender.json")
    # crDroid answers 404 (no route): one success, one failure, exit code 1
    result = run_cli("index", "update", "lavender", "--json", env=_env(api_server))
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    by_rom = {r["rom"]: r for r in summary["results"]}
    assert by_rom["lineageos"]["ok"] is True and by_rom["crdroid"]["ok"] is False
    assert "HTTP 404" in by_rom["crdroid"]["error"]


def test_damaged_cache_is_ignored_with_a_warning(api_server, run_cli, cli_env) -> None:
    _prime_cache(api_server, run_cli)
    _cache_file(cli_env).write_text("{not json")
    result = run_cli("roms", "lavender", "--json")
    assert result.returncode == 0
    lineage = _lineage(json.loads(result.stdout))
    assert lineage["builds"] == [] and "unreadable" in lineage["cache_error"]


def test_update_usage_errors(run_cli) -> None:
    assert run_cli("index", "update").returncode == 2
    assert run_cli("index", "update", "lavender", "--all").returncode == 2
    unknown = run_cli("index", "update", "lavendr")
    assert unknown.returncode == 2 and "lavender" in unknown.stderr
    assert run_cli("index", "update", "lavender", "--rom", "nosuchrom").returncode == 2


def test_update_all_targets_maintained_devices_only() -> None:
    from unlocker.index.update import targets

    index = load_index()
    pairs = {(rom.id, name) for rom, name in targets(index, None)}
    assert ("lineageos", "alioth") in pairs
    assert ("lineageos", "lavender") not in pairs  # the wiki names no maintainer any more
    assert ("crdroid", "lavender") in pairs
    assert not any(rom == "eos" for rom, _ in pairs)  # no builds API declared
    only = {(rom.id, name) for rom, name in targets(index, "lavender", ("lineageos",))}
    assert only == {("lineageos", "lavender")}
