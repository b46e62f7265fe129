"""The ``deploy:`` section of site.yaml: where `storyforge deploy` publishes the built site.

Targets are named by the site (``deploy.targets.<name>``), so their keys cannot be a fixed part of
the settings schema in ``config``; each target's ``type`` decides which keys it takes, and each
key is checked here with the file's line and a did-you-mean hint like the rest of site.yaml.
Credentials never come from here: boto3 finds them in the environment or a profile, git and
rsync in the user's own ssh and credential helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from storyforge.core.setting_rules import check_bool, web_address
from storyforge.core.yaml_source import YamlMapping
from storyforge.errors import ConfigError, ErrorCollector, SourceLocation, did_you_mean

HOSTINGS = ("netlify", "cloudflare")


@dataclass(frozen=True)
class DeployTarget:
    name: str
    type: str  # s3, git, folder or rsync
    options: Mapping[str, Any] = field(default_factory=dict)  # the type's keys, checked
    line: int = 1  # where site.yaml names it, for messages

    def text(self, key: str, default: str = "") -> str:
        value = self.options.get(key, default)
        return value if isinstance(value, str) else default


@dataclass(frozen=True)
class DeploySettings:
    hosting: str = ""  # netlify or cloudflare: the build writes their _headers file
    targets: Mapping[str, DeployTarget] = field(default_factory=dict)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text, got {value!r}")
    text = str(value).strip()
    if not text:
        raise ValueError("expected text, got nothing")
    return text


def _endpoint(value: Any) -> str:
    return web_address(_text(value), "an address like https://ACCOUNT.r2.cloudflarestorage.com")


def _prefix(value: Any) -> str:
    text = _text(value).strip("/")
    if ".." in text.split("/") or "\\" in text:
        raise ValueError(f"expected a folder inside the bucket like 'site', got {text!r}")
    return text


def _no_credentials(value: Any) -> str:
    raise ValueError("credentials never go in site.yaml (it is shared and published with the sources) — set "
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or name a profile: profile: NAME")


Checker = Callable[[Any], Any]
#: each target type's keys: name → (checker, required)
TARGET_TYPES: dict[str, dict[str, tuple[Checker, bool]]] = {
    "s3": {"bucket": (_text, True), "prefix": (_prefix, False), "region": (_text, False),
           "endpoint_url": (_endpoint, False), "profile": (_text, False),
           "cloudfront_distribution": (_text, False),
           "access_key": (_no_credentials, False), "secret_key": (_no_credentials, False),
           "aws_access_key_id": (_no_credentials, False), "aws_secret_access_key": (_no_credentials, False)},
    "git": {"repository": (_text, True), "branch": (_text, False), "cname": (check_bool, False),
            "message": (_text, False)},
    "folder": {"path": (_text, True)},
    "rsync": {"destination": (_text, True)},
}
_HIDDEN = {"access_key", "secret_key", "aws_access_key_id", "aws_secret_access_key"}  # refused, never suggested


def deploy_settings(value: Any, doc: YamlMapping, config_file: str, errors: ErrorCollector) -> DeploySettings:
    """Check ``deploy:``; every problem goes to ``errors`` with its line, the usable part is returned."""
    if value is None:
        return DeploySettings()

    def problem(message: str, *path: str) -> None:
        errors.add(ConfigError(message, SourceLocation(config_file, doc.line_of("deploy", *path))))

    if not isinstance(value, dict):
        problem("deploy: expected 'key: value' lines below it (hosting:, targets:)")
        return DeploySettings()
    hosting = ""
    targets: dict[str, DeployTarget] = {}
    for key, item in value.items():
        key = str(key)
        if key == "hosting":
            hosting = str(item or "").strip().lower()
            if hosting not in HOSTINGS:
                problem(f"deploy.hosting: expected one of {', '.join(HOSTINGS)}, got {item!r}", key)
                hosting = ""
        elif key == "targets":
            if not isinstance(item, dict) or not item:
                problem("deploy.targets: expected one or more named targets, e.g. live: {type: s3, bucket: NAME}",
                        key)
                continue
            for name, spec in item.items():
                target = _target(str(name), spec, problem)
                if target is not None:
                    targets[target.name] = DeployTarget(target.name, target.type, target.options,
                                                        doc.line_of("deploy", "targets", target.name))
        else:
            problem(f"deploy.{key}: unknown setting{did_you_mean(key, ['hosting', 'targets'])}; "
                    "known here: hosting, targets", key)
    return DeploySettings(hosting=hosting, targets=targets)


def _target(name: str, spec: Any, problem: Callable[..., None]) -> DeployTarget | None:
    where = ("targets", name)
    if not isinstance(spec, dict):
        problem(f"deploy.targets.{name}: expected 'key: value' lines, starting with type: "
                f"{' / '.join(TARGET_TYPES)}", *where)
        return None
    kind = str(spec.get("type") or "").strip()
    if kind not in TARGET_TYPES:
        problem(f"deploy.targets.{name}.type: expected one of {', '.join(TARGET_TYPES)}"
                f"{did_you_mean(kind, list(TARGET_TYPES)) if kind else ''}, got {spec.get('type')!r}",
                *where, "type")
        return None
    fields = TARGET_TYPES[kind]
    options: dict[str, Any] = {}
    ok = True
    for key, raw in spec.items():
        key = str(key)
        if key == "type":
            continue
        if key not in fields:
            known = sorted(k for k in fields if k not in _HIDDEN)
            problem(f"deploy.targets.{name}.{key}: unknown setting for type {kind}"
                    f"{did_you_mean(key, known)}; known here: type, {', '.join(known)}", *where, key)
            ok = False
            continue
        try:
            options[key] = fields[key][0](raw)
        except ValueError as exc:
            problem(f"deploy.targets.{name}.{key}: {exc}", *where, key)
            ok = False
    for key, (_, required) in fields.items():
        if required and key not in spec:
            problem(f"deploy.targets.{name}: a target of type {kind} needs {key}:", *where)
            ok = False
    return DeployTarget(name, kind, options) if ok else None
