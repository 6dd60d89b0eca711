"""The container image's Dockerfile, linted (no Docker engine here): hadolint-like rules
checked by a small parser, each rule shown to fire on a Dockerfile that breaks it."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|_KEY$|_KEYS$|API_KEY)", re.I)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def parse(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    return out


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in {"", "latest"}


def lint(text: str) -> list[str]:
    findings: list[str] = []
    instructions = parse(text)
    froms = [i for i in instructions if i.keyword == "FROM"]
    if len(froms) < 2:
        findings.append("not multi-stage")
    stages = {f.args.split()[-1].lower() for f in froms if " as " in f.args.lower()}
    for f in froms:
        if not _pinned(f.args.split()[0]):
            findings.append(f"base image not pinned by tag: {f.args}")
    last_from = max((n for n, i in enumerate(instructions) if i.keyword == "FROM"), default=0)
    final = instructions[last_from:]
    users = [i.args.split(":")[0] for i in final if i.keyword == "USER"]
    if not users or users[-1] in {"root", "0"}:
        findings.append("final stage runs as root")
    if not any(i.keyword == "HEALTHCHECK" and i.args != "NONE" for i in final):
        findings.append("no HEALTHCHECK")
    entry = [i for i in final if i.keyword == "ENTRYPOINT"]
    if not entry or not entry[-1].args.startswith("[") or "ticketsafe" not in entry[-1].args:
        findings.append("ENTRYPOINT is not `ticketsafe` in exec form")
    for i in instructions:
        if i.keyword == "ADD":
            findings.append(f"ADD (use COPY; never fetch URLs): {i.args}")
        if i.keyword == "COPY":
            source = re.search(r"--from=(\S+)", i.args)
            if source and source.group(1).lower() not in stages and not _pinned(source.group(1)):
                findings.append(f"COPY --from image not pinned: {source.group(1)}")
        if i.keyword == "RUN" and "apt-get install" in i.args:
            if "--no-install-recommends" not in i.args:
                findings.append("apt-get install without --no-install-recommends")
            if "rm -rf /var/lib/apt/lists" not in i.args:
                findings.append("apt lists not removed in the same layer")
        if i.keyword in {"ENV", "ARG"}:
            for token in shlex.split(i.args):
                name, _, value = token.partition("=")
                if SECRET_NAME.search(name):
                    findings.append(f"secret-like {i.keyword} in the image: {name}")
                if re.search(r"-----BEGIN|mongodb(\+srv)?://\S+:\S+@", value):
                    findings.append(f"credential in {i.keyword}: {name}")
        if i.keyword == "COPY" and re.search(r"(\.env\b|\.pem\b|keys/|\.ticketsafe)", i.args):
            findings.append(f"COPY of local secrets or state: {i.args}")
    return findings


def test_the_dockerfile_passes_every_rule() -> None:
    assert lint((ROOT / "Dockerfile").read_text()) == []


def test_the_image_builds_the_web_app_and_installs_only_locked_runtime_deps() -> None:
    runs = " | ".join(
        i.args for i in parse((ROOT / "Dockerfile").read_text()) if i.keyword == "RUN"
    )
    assert "npm ci" in runs
    assert "npm run build" in runs
    assert "uv sync --frozen --no-dev" in runs
    assert "--dev" not in runs.replace("--no-dev", "")


def test_the_build_context_leaves_out_state_and_secrets() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[next(n for n, line in enumerate(ignore) if not line.startswith("#"))] == "**"
    for never in ("**/.ticketsafe", "**/.env", "**/*.pem", "**/*.key", "**/node_modules"):
        assert never in ignore


GOOD = """\
FROM node:24.1-slim AS web
RUN npm ci
FROM python:3.11-slim
COPY --from=web /web/dist /app
USER 10001
HEALTHCHECK CMD ["true"]
ENTRYPOINT ["ticketsafe"]
"""


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        (("FROM python:3.11-slim", "FROM python"), "base image not pinned"),
        (("FROM python:3.11-slim", "FROM python:latest"), "base image not pinned"),
        (("USER 10001", "USER root"), "runs as root"),
        (("USER 10001\n", ""), "runs as root"),
        (('HEALTHCHECK CMD ["true"]\n', ""), "no HEALTHCHECK"),
        (('ENTRYPOINT ["ticketsafe"]', "ENTRYPOINT ticketsafe"), "exec form"),
        (("RUN npm ci", "ADD https://example.com/x.tgz /x"), "ADD"),
        (
            ("RUN npm ci", "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*"),
            "--no-install-recommends",
        ),
        (("RUN npm ci", "RUN apt-get install -y --no-install-recommends curl"), "apt lists"),
        (("RUN npm ci", "ENV TICKETSAFE_AUTH_SECRET=abc"), "secret-like ENV"),
        (("RUN npm ci", "ARG GITHUB_TOKEN"), "secret-like ARG"),
        (("RUN npm ci", "COPY .env /app/.env"), "local secrets"),
        (("COPY --from=web", "COPY --from=ghcr.io/astral-sh/uv"), "COPY --from image"),
        (("FROM node:24.1-slim AS web\nRUN npm ci\n", ""), "not multi-stage"),
    ],
)
def test_each_rule_fires_on_a_dockerfile_that_breaks_it(
    change: tuple[str, str], finding: str
) -> None:
    assert lint(GOOD) == []
    broken = GOOD.replace(*change)
    assert broken != GOOD
    assert any(finding in f for f in lint(broken)), lint(broken)
