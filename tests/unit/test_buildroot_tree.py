"""buildroot/ (a BR2_EXTERNAL tree) checked against Buildroot's file formats, without
Buildroot: CI cannot fetch it. `make buildroot-check BUILDROOT=...` runs the real one."""

import os
import re
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TREE = REPO / "buildroot"
PACKAGES = sorted(p for p in (TREE / "package").iterdir() if p.is_dir())
DEFCONFIGS = sorted((TREE / "configs").glob("*_defconfig"))
HASH_LINE = re.compile(r"^(sha256|sha512|md5|sha1)  ([0-9a-f]+)  (\S+)$")
HASH_LEN = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
DEFCONFIG_LINE = re.compile(
    r'^(BR2_[A-Za-z0-9_]+)=(y|"[^"]*"|[0-9]+)$|^# (BR2_[A-Za-z0-9_]+) is not set$'
)
# sdists downloaded with `pip download --no-deps --no-binary :all: -d DIR ...`
SDISTS = Path(os.environ.get("AUTONOME_BR_SDISTS", "/nonexistent"))


def external_name() -> str:
    fields = dict(
        line.split(":", 1) for line in (TREE / "external.desc").read_text().splitlines() if line
    )
    name = fields["name"].strip()
    assert re.fullmatch(r"[A-Za-z0-9_]+", name), name
    return name


def upper(pkg: str) -> str:
    return pkg.upper().replace("-", "_")


def mk_vars(pkg: Path) -> dict[str, str]:
    text = (pkg / f"{pkg.name}.mk").read_text()
    return dict(re.findall(r"^([A-Z0-9_]+) \+?= (.*)$", text, re.M))


def config_symbols() -> set[str]:
    symbols = set()
    for config in TREE.rglob("Config.in"):
        symbols |= set(re.findall(r"^config (BR2_[A-Za-z0-9_]+)$", config.read_text(), re.M))
    return symbols


def test_external_desc_names_the_path_the_tree_uses():
    name = external_name()
    used = set()
    for f in [*DEFCONFIGS, TREE / "Config.in", TREE / "external.mk", *TREE.rglob("*.mk")]:
        used |= set(re.findall(r"BR2_EXTERNAL_([A-Za-z0-9_]+)_PATH", f.read_text()))
    assert used == {name}


def test_top_config_sources_every_package_and_the_mk_includes_them():
    top = (TREE / "Config.in").read_text()
    sourced = re.findall(
        r'^source "\$BR2_EXTERNAL_(\w+)_PATH/package/([^/]+)/Config.in"$', top, re.M
    )
    assert sorted(p for _, p in sourced) == [p.name for p in PACKAGES]
    assert {n for n, _ in sourced} == {external_name()}
    assert "package/*/*.mk" in (TREE / "external.mk").read_text()


@pytest.mark.parametrize("pkg", PACKAGES, ids=lambda p: p.name)
def test_package_files_follow_buildroot_formats(pkg: Path):
    for f in ("Config.in", f"{pkg.name}.mk", f"{pkg.name}.hash"):
        assert (pkg / f).is_file(), f"{pkg.name}: no {f}"
    prefix = upper(pkg.name)
    mk = (pkg / f"{pkg.name}.mk").read_text()
    assigned = re.findall(r"^([A-Z][A-Z0-9_]*) [+:]?= ", mk, re.M)
    assert assigned and all(v.startswith(prefix + "_") for v in assigned), assigned
    last = mk.rstrip().splitlines()[-1]
    vars_ = mk_vars(pkg)
    expected = "python-package" if f"{prefix}_SETUP_TYPE" in vars_ else "generic-package"
    assert last == f"$(eval $({expected}))"
    if expected == "python-package":
        assert vars_[f"{prefix}_SETUP_TYPE"] in {"setuptools", "pep517", "flit", "hatch", "poetry"}
    config = (pkg / "Config.in").read_text()
    assert re.search(rf"^config BR2_PACKAGE_{prefix}$", config, re.M)
    assert re.search(r"^\thelp$", config, re.M)


@pytest.mark.parametrize("pkg", PACKAGES, ids=lambda p: p.name)
def test_hash_names_the_source_of_the_version_in_the_mk(pkg: Path):
    prefix = upper(pkg.name)
    vars_ = mk_vars(pkg)
    entries = []
    for line in (pkg / f"{pkg.name}.hash").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        m = HASH_LINE.match(line)
        assert m, f"{pkg.name}.hash: bad line {line!r}"
        assert len(m[2]) == HASH_LEN[m[1]], line
        entries.append((m[1], m[2], m[3]))
    if vars_.get(f"{prefix}_SITE_METHOD") == "local":
        assert not entries  # a local source is never downloaded, never hashed
        return
    version = vars_[f"{prefix}_VERSION"]
    source = vars_.get(f"{prefix}_SOURCE", f"{pkg.name}-$({prefix}_VERSION).tar.gz")
    source = source.replace(f"$({prefix}_VERSION)", version)
    assert version in source
    hashed = {f: h for kind, h, f in entries if kind == "sha256"}
    assert source in hashed, f"{pkg.name}.hash has no sha256 of {source}"
    for licence in vars_.get(f"{prefix}_LICENSE_FILES", "").split():
        assert licence in hashed, f"{pkg.name}.hash has no sha256 of {licence}"


@pytest.mark.parametrize("defconfig", DEFCONFIGS, ids=lambda p: p.name)
def test_defconfig_lines_options_and_paths(defconfig: Path):
    symbols = config_symbols()
    ours = {f"BR2_PACKAGE_{upper(p.name)}" for p in PACKAGES}
    for n, line in enumerate(defconfig.read_text().splitlines(), 1):
        if line.startswith("#") and not DEFCONFIG_LINE.match(line):
            continue  # a comment
        m = DEFCONFIG_LINE.match(line)
        assert m, f"{defconfig.name}:{n}: not BR2_...=... nor a comment: {line!r}"
        option = m[1] or m[3]
        if any(option == o or option.startswith(o + "_") for o in ours) or option.startswith(
            "BR2_AUTONOME_"
        ):
            assert option in symbols, f"{defconfig.name}:{n}: {option} is in no Config.in"
        for path in re.findall(r"\$\(BR2_EXTERNAL_\w+_PATH\)(/[^\" ]+)", line):
            assert (TREE / path.lstrip("/")).resolve().exists(), f"{defconfig.name}:{n}: {path}"
    text = defconfig.read_text()
    assert 'BR2_ROOTFS_OVERLAY="$(BR2_EXTERNAL_AUTONOME_PATH)/../images/overlay"' in text
    assert "BR2_PACKAGE_AUTONOME=y" in text and "BR2_INIT_SYSTEMD=y" in text


def test_autonome_package_installs_the_udev_rules_of_drivers_udev():
    mk = (TREE / "package/autonome/autonome.mk").read_text()
    rules = re.findall(r"\$\(@D\)/(drivers/udev/\S+\.rules)", mk)
    assert rules and all((REPO / r).is_file() for r in rules)
    assert "AUTONOME_SITE = $(BR2_EXTERNAL_AUTONOME_PATH)/.." in mk
    assert (TREE / ".." / "pyproject.toml").resolve() == REPO / "pyproject.toml"


def test_genimage_layouts_have_boot_two_root_slots_and_data():
    for cfg in (TREE / "board").rglob("genimage.cfg"):
        parts = re.findall(r"^\tpartition (\S+) \{", cfg.read_text(), re.M)
        assert parts[1:] == ["rootfs-a", "rootfs-b", "data"], (cfg, parts)


@pytest.mark.skipif(not SDISTS.is_dir(), reason="no downloaded sdists to hash")
@pytest.mark.parametrize("pkg", PACKAGES, ids=lambda p: p.name)
def test_hashes_match_the_downloaded_sdists(pkg: Path):
    import hashlib

    for line in (pkg / f"{pkg.name}.hash").read_text().splitlines():
        m = HASH_LINE.match(line)
        if m and (SDISTS / m[3]).is_file():
            assert hashlib.sha256((SDISTS / m[3]).read_bytes()).hexdigest() == m[2]
            assert tarfile.is_tarfile(SDISTS / m[3])
