"""The virtual phone behaves like the real bootloaders it imitates (over real TCP, via our client)."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from unlocker.device.connect import connect_fastboot
from unlocker.emulator import Fault, VirtualPhone, parse_fault
from unlocker.errors import DeviceDisconnected, FastbootFailure, ProtocolError, TransportTimeout, UsageError
from unlocker.fastboot.client import FastbootClient


@pytest.fixture(scope="module")
def keypair() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem


def connect(running) -> FastbootClient:
    return connect_fastboot(running.name)


def test_xiaomi_abl_dialect(phone) -> None:
    with connect(phone) as c:
        assert c.getvar("product") == "alioth"
        assert c.getvar("max-download-size") == "805306368"  # decimal, as ABL prints it
        assert c.getvar("unlocked") == "no"
        assert c.getvar("anti") == "1"
        with pytest.raises(FastbootFailure) as e:
            c.getvar("no-such-var")
        assert e.value.device_message == "GetVar Variable Not found"
        info = c.oem("device-info").info
        assert "Device unlocked: false" in info


def test_locked_phone_refuses_to_flash(phone) -> None:
    with connect(phone) as c:
        c.download(b"\0" * 4096)
        with pytest.raises(FastbootFailure) as e:
            c.flash("boot_a")
        assert e.value.device_message == "Flashing is not allowed in Lock State"
        with pytest.raises(FastbootFailure):
            c.erase("userdata")
        with pytest.raises(FastbootFailure):
            c.set_active("b")
    assert not phone.phone.partition_path("boot_a").exists()


def test_raw_flash_lands_in_partition_file(unlocked_phone) -> None:
    data = hashlib.sha256(b"seed").digest() * 4096  # 128 KiB
    with connect(unlocked_phone) as c:
        c.download(data)
        c.flash("boot_a")
    assert unlocked_phone.partition("boot_a") == data


def test_image_larger_than_partition_is_refused(phone_factory) -> None:
    p = phone_factory("xiaomi-qcom", unlocked=True)
    with connect(p) as c:
        c.download(b"x" * (64 * 1024 + 1))
        with pytest.raises(FastbootFailure) as e:
            c.flash("vbmeta_a")  # 64 KiB partition
        assert "exceeds" in e.value.device_message


def test_download_over_limit_refused(phone_factory) -> None:
    p = phone_factory(max_download_size=1024)
    with connect(p) as c, pytest.raises(FastbootFailure) as e:
        c.download(b"x" * 1025)
    assert "more than max allowed" in e.value.device_message


def test_state_persists_across_restart(tmp_path, phone_factory) -> None:
    p = phone_factory(state_dir=tmp_path / "s", unlocked=True)
    with connect(p) as c:
        c.set_active("b")
    again = VirtualPhone(tmp_path / "s", "xiaomi-qcom")
    assert again.unlocked and again.current_slot == "b"
    assert again.serial == p.phone.serial
    assert json.loads((tmp_path / "s" / "state.json").read_text())["current_slot"] == "b"


def test_token_changes_at_every_reboot(phone) -> None:
    with connect(phone) as c:
        first = c.getvar("token")
        assert first == c.getvar("token")
        c.reboot("bootloader")
    with connect(phone) as c:
        assert c.getvar("token") != first


def sign(key: rsa.RSAPrivateKey, token: str) -> bytes:
    return key.sign(token.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_xiaomi_unlock_accepts_signature_of_current_token(phone_factory, keypair) -> None:
    key, pem = keypair
    p = phone_factory(unlock_public_key_pem=pem)
    with connect(p) as c:
        token = c.getvar("token")
        c.stage(sign(key, token))
        c.oem("unlock")
        assert c.getvar("unlocked") == "yes"


def test_xiaomi_unlock_rejects_stale_token_and_wrong_key(phone_factory, keypair) -> None:
    key, pem = keypair
    p = phone_factory(unlock_public_key_pem=pem)
    with connect(p) as c:
        stale = c.getvar("token")
        c.reboot("bootloader")
    with connect(p) as c:
        c.stage(sign(key, stale))
        with pytest.raises(FastbootFailure) as e:
            c.oem("unlock")
        assert "Token Verify Failed" in e.value.device_message
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        c.stage(sign(other, c.getvar("token")))
        with pytest.raises(FastbootFailure):
            c.oem("unlock")
        assert c.getvar("unlocked") == "no"


def test_mediatek_token_lines(phone_factory, keypair) -> None:
    key, pem = keypair
    p = phone_factory("xiaomi-mtk", unlock_public_key_pem=pem)
    with connect(p) as c:
        lines = c.oem("get_token").info
        assert len(lines) > 1 and all(line.startswith("token: ") for line in lines)
        token = "".join(line.split(":", 1)[1].strip() for line in lines)
        assert c.try_getvar("token") is None
        c.stage(sign(key, token))
        c.oem("unlock")
        assert c.getvar("unlocked") == "yes"


def test_generic_flashing_unlock(phone_factory) -> None:
    p = phone_factory("generic")
    with connect(p) as c:
        assert c.flashing("get_unlock_ability").info == ["get_unlock_ability: 1"]
        assert c.getvar("max-download-size").startswith("0x")
        c.flashing("unlock")
        assert c.getvar("unlocked") == "yes"


def test_fastbootd_dialect_and_logical_partitions(phone_factory) -> None:
    p = phone_factory("fastbootd", unlocked=True)
    with connect(p) as c:
        assert c.getvar("is-userspace") == "yes"
        assert c.getvar("is-logical:system_a") == "yes"
        assert c.getvar("is-logical:boot_a") == "no"
        assert c.getvar("max-download-size") == "0x10000000"
        with pytest.raises(FastbootFailure) as e:
            c.flashing("unlock")
        assert "Unrecognized command" in e.value.device_message
        c.command("resize-logical-partition:system_a:8192")
        assert c.getvar("partition-size:system_a") == "0x2000"
        c.download(b"s" * 8192)
        c.flash("system_a")
        c.reboot("bootloader")
    assert p.partition("system_a") == b"s" * 8192
    with connect(p) as c:
        assert c.getvar("is-userspace") == "no"
        c.download(b"s" * 10)
        with pytest.raises(FastbootFailure) as e:
            c.flash("system_a")  # logical partitions do not exist for the bootloader
        assert e.value.device_message == "Partition not found"
        c.reboot("fastboot")
    with connect(p) as c:
        assert c.getvar("is-userspace") == "yes"


def test_locked_fastbootd_refuses_download(phone_factory) -> None:
    p = phone_factory("fastbootd")
    with connect(p) as c, pytest.raises(FastbootFailure) as e:
        c.download(b"x")
    assert e.value.device_message == "Download is not allowed on locked devices"


def test_fault_disconnect_after_bytes(phone_factory) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("disconnect@200000")])
    with connect(p) as c, pytest.raises(DeviceDisconnected):
        c.download(b"x" * 1_000_000)


def test_fault_garbage_and_fail(phone_factory) -> None:
    p = phone_factory(
        faults=[parse_fault("garbage:getvar:product"), parse_fault("fail:getvar:serialno#2=boom")]
    )
    with connect(p) as c:
        with pytest.raises(ProtocolError):
            c.getvar("product")
        assert c.getvar("serialno")
        with pytest.raises(FastbootFailure) as e:
            c.getvar("serialno")
        assert e.value.device_message == "boom"


def test_fault_stall(phone_factory) -> None:
    p = phone_factory(faults=[Fault("stall", command_prefix="getvar:product")])
    c = connect_fastboot(p.name)
    c.response_timeout = 0.5
    with pytest.raises(TransportTimeout):
        c.getvar("product")
    c.close()


def test_fault_info_flood(phone_factory) -> None:
    p = phone_factory(faults=[parse_fault("info-flood:getvar:product")])
    lines: list[str] = []
    c = connect_fastboot(p.name, on_info=lines.append)
    assert c.getvar("product") == "alioth"
    assert len(lines) == 1000
    c.close()


@pytest.mark.parametrize("spec", ["nope:x", "disconnect@x", "stall:", "fail:x#0"])
def test_bad_fault_specs(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_fault(spec)


def test_shipped_test_key_pair_unlocks_default_phone(phone) -> None:
    """The default phone checks the packaged public key; tests/keys holds its private half."""
    from pathlib import Path

    key = serialization.load_pem_private_key(
        (Path(__file__).parent.parent / "keys" / "unlock_test_private.pem").read_bytes(), password=None
    )
    with connect(phone) as c:
        c.stage(sign(key, c.getvar("token")))  # type: ignore[arg-type]
        c.oem("unlock")
        assert c.getvar("unlocked") == "yes"
