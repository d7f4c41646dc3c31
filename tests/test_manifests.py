"""Install manifests for every host agree with the frontmatter, start the real server, and hold no secrets.

Files checked: the Claude Code plugin and marketplace (``.claude-plugin/``), the Cursor plugin
(``.cursor-plugin/plugin.json`` and ``mcp.json``), the Claude Desktop bundle (``manifest.json``,
built by ``scripts/build_mcpb.py``), the MCP Registry entry (``server.json``), the ClawHub
metadata in the frontmatter and the copy-paste snippets in ``examples/``. The host facts
behind the rules are in docs/install.md; the ones found by running the hosts' own tools are marked.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from kling_ai_30 import config
from kling_ai_30.cli.main import build_parser
from kling_ai_30.skill import detect_platform

ROOT = Path(__file__).resolve().parents[1]
FRONTMATTER = yaml.safe_load((ROOT / "frontmatter.yaml").read_text(encoding="utf-8"))
SERVER_NAME = "kling-ai-30"
CONTRACT_TOOLS = {"upload", "generate", "credits", "state", "export", "job", "history", "projects"}

CLAUDE_PLUGIN = ROOT / ".claude-plugin" / "plugin.json"
CLAUDE_MARKETPLACE = ROOT / ".claude-plugin" / "marketplace.json"
CURSOR_PLUGIN = ROOT / ".cursor-plugin" / "plugin.json"
CURSOR_MCP = ROOT / "mcp.json"
MCPB_MANIFEST = ROOT / "manifest.json"
DESKTOP_EXAMPLE = ROOT / "examples" / "claude_desktop_config.json"
CURSOR_EXAMPLE = ROOT / "examples" / "cursor-mcp.json"
CLAUDE_CODE_EXAMPLE = ROOT / "examples" / "claude-code.sh"
INSTALL_DOC = ROOT / "docs" / "install.md"
REGISTRY_ENTRY = ROOT / "server.json"
OWNED_FILES = (
    REGISTRY_ENTRY,
    CLAUDE_PLUGIN,
    CLAUDE_MARKETPLACE,
    CURSOR_PLUGIN,
    CURSOR_MCP,
    MCPB_MANIFEST,
    DESKTOP_EXAMPLE,
    CURSOR_EXAMPLE,
    CLAUDE_CODE_EXAMPLE,
    INSTALL_DOC,
    ROOT / "examples" / "openclaw.md",
    ROOT / "scripts" / "build_mcpb.py",
    ROOT / "scripts" / "mcpb_launcher.py",
)

# Which ${...} each host expands in a server entry. Anything else reaches the server as literal text.
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
HOST_VARIABLES: dict[str, tuple[str, ...]] = {
    # Claude Code: ${CLAUDE_PLUGIN_ROOT} (plugins only) and ${VAR:-default} from its environment (a bare
    # ${VAR} that is unset gets a "Missing environment variables" warning). ${CLAUDE_PLUGIN_ROOT:-x}
    # is not allowed: Claude Code 2.1.197 expanded it to "x" inside a plugin.
    "claude_code_plugin": (r"CLAUDE_PLUGIN_ROOT", rf"(?!CLAUDE_PLUGIN_ROOT:){_ENV_NAME}:-[^}}]*"),
    # Cursor: ${CURSOR_PLUGIN_ROOT} in a plugin's mcp.json; ${env:NAME}, ${userHome}, ${workspaceFolder} everywhere.
    "cursor_plugin": (r"CURSOR_PLUGIN_ROOT", rf"env:{_ENV_NAME}", r"userHome", r"workspaceFolder"),
    "cursor_user": (rf"env:{_ENV_NAME}", r"userHome", r"workspaceFolder"),
    # Claude Desktop's claude_desktop_config.json expands nothing.
    "claude_desktop": (),
    # MCPB: ${__dirname}, the system folders, the path separator and ${user_config.<key>}.
    "mcpb": (r"__dirname", r"HOME|DESKTOP|DOCUMENTS|DOWNLOADS", r"pathSeparator|/", r"user_config\.\w+"),
}
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_SECRET_PATTERNS = (
    re.compile(r"nmv_usr_\w+"),  # NemoVideo user token
    re.compile(r"clm_\w{8,}"),  # NemoVideo claim token
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),  # Anthropic / OpenAI style keys
    re.compile(r"clh_\w{8,}"),  # ClawHub token
    re.compile(r"Bearer\s+[A-Za-z0-9._~+/=-]{20,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"client_secret", re.IGNORECASE),
)
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY", re.IGNORECASE)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _server_entries() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file label, host variable kind, server entry) for every server a manifest or snippet declares."""
    yield "claude plugin", "claude_code_plugin", _json(CLAUDE_PLUGIN)["mcpServers"][SERVER_NAME]
    yield "cursor plugin", "cursor_plugin", _json(CURSOR_MCP)["mcpServers"][SERVER_NAME]
    yield "desktop example", "claude_desktop", _json(DESKTOP_EXAMPLE)["mcpServers"][SERVER_NAME]
    yield "cursor example", "cursor_user", _json(CURSOR_EXAMPLE)["mcpServers"][SERVER_NAME]
    yield "mcpb", "mcpb", _json(MCPB_MANIFEST)["server"]["mcp_config"]


def _claude_mcp_add_command() -> list[str]:
    """The ``claude mcp add`` command of examples/claude-code.sh, as argv."""
    text = CLAUDE_CODE_EXAMPLE.read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = (line for line in text.splitlines() if line.strip().startswith("claude mcp add"))
    return shlex.split(line)


def _uvx_target(args: list[str]) -> tuple[str, list[str]]:
    """``--from SOURCE kling-ai-30 ARGS...`` -> (SOURCE, ARGS)."""
    assert args[0] == "--from", args
    assert args[2] == "kling-ai-30", "uvx must run the kling-ai-30 console script"
    return args[1], args[3:]


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_manifest_carries_the_frontmatter_name_and_version() -> None:
    name, version = FRONTMATTER["name"], FRONTMATTER["version"]
    marketplace = _json(CLAUDE_MARKETPLACE)
    (entry,) = marketplace["plugins"]
    for manifest in (_json(CLAUDE_PLUGIN), _json(CURSOR_PLUGIN), _json(MCPB_MANIFEST), entry):
        assert (manifest["name"], manifest["version"]) == (name, version)
    assert marketplace["metadata"]["version"] == version


def test_short_descriptions_are_one_text_within_limits_that_names_the_backend() -> None:
    descriptions = {
        _json(CLAUDE_PLUGIN)["description"],
        _json(CURSOR_PLUGIN)["description"],
        _json(MCPB_MANIFEST)["description"],
        _json(CLAUDE_MARKETPLACE)["plugins"][0]["description"],
    }
    (description,) = descriptions
    assert 50 <= len(description) <= 200  # Claude Code's recommended range
    assert "NemoVideo" in description and "not an official Kling product" in description
    assert "<" not in description and ">" not in description
    long_description = _json(MCPB_MANIFEST)["long_description"]
    assert "not an official Kling product" in long_description and len(FRONTMATTER["description"]) <= 1024


def test_the_marketplace_serves_the_plugin_from_this_repository() -> None:
    marketplace = _json(CLAUDE_MARKETPLACE)
    (entry,) = marketplace["plugins"]
    assert re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", marketplace["name"])
    assert entry["source"] == "./" and (ROOT / entry["source"] / ".claude-plugin" / "plugin.json").is_file()
    assert entry["name"] == _json(CLAUDE_PLUGIN)["name"]


def test_plugin_component_paths_are_relative_and_exist() -> None:
    claude, cursor = _json(CLAUDE_PLUGIN), _json(CURSOR_PLUGIN)
    for declared in (claude["skills"], cursor["skills"], cursor["mcpServers"]):
        assert declared.startswith("./")
        assert (ROOT / declared).exists(), declared
    assert (ROOT / cursor["skills"]).name == "SKILL.md" or (ROOT / cursor["skills"] / "SKILL.md").is_file()


def test_no_project_mcp_json_sits_at_the_root_where_claude_code_would_read_it_as_project_config() -> None:
    # A root .mcp.json is both the plugin's server file and the repository's project config: opening
    # Claude Code in a clone then offers a server whose ${CLAUDE_PLUGIN_ROOT} is unset (seen with
    # Claude Code 2.1.197). The plugin declares its server inline in plugin.json instead.
    assert not (ROOT / ".mcp.json").exists()


def test_every_declared_server_runs_kling_ai_30_serve() -> None:
    parser = build_parser()
    for label, kind, entry in _server_entries():
        if label == "mcpb":
            continue  # the launcher adds "serve"; checked below
        if kind == "claude_desktop":
            # Desktop starts servers without the user's shell PATH ("spawn uvx ENOENT"): an absolute path.
            assert entry["command"].startswith("/") and entry["command"].endswith("/uvx"), label
        else:
            assert entry["command"] == "uvx", label
        _, rest = _uvx_target(entry["args"])
        assert parser.parse_args(rest).command == "serve", label


def test_the_claude_code_one_liner_registers_the_same_server() -> None:
    argv = _claude_mcp_add_command()
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    assert options[:3] == ["claude", "mcp", "add"] and SERVER_NAME in options
    assert {"KLING_SKILL_DIR=$SKILL_DIR", "SKILL_SOURCE=claude_code"} <= set(options)
    assert command[0] == "uvx"
    source, rest = _uvx_target(command[1:])
    assert source == "$SKILL_DIR" and build_parser().parse_args(rest).command == "serve"
    published = re.search(r"claude mcp add .* -- uvx kling-ai-30 (\w+)$", CLAUDE_CODE_EXAMPLE.read_text("utf-8"), re.M)
    assert published is not None and build_parser().parse_args([published.group(1)]).command == "serve"


def test_the_mcpb_launcher_starts_the_stdio_server() -> None:
    config = _json(MCPB_MANIFEST)["server"]
    assert config["type"] == "uv"
    assert config["mcp_config"]["command"] == "uv"
    assert config["mcp_config"]["args"][:3] == ["run", "--directory", "${__dirname}"]
    assert config["mcp_config"]["args"][-1] == config["entry_point"]
    result = subprocess.run(
        [sys.executable, str(ROOT / config["entry_point"]), "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.startswith("usage: kling-ai-30 serve")


def test_the_skill_folder_passed_to_the_server_is_the_one_it_runs_from() -> None:
    for label, _, entry in _server_entries():
        skill_dir = entry["env"]["KLING_SKILL_DIR"]
        if label == "mcpb":
            assert skill_dir == "${__dirname}"
        else:
            assert _uvx_target(entry["args"])[0] == skill_dir, label
    assert _json(CLAUDE_PLUGIN)["mcpServers"][SERVER_NAME]["env"]["KLING_SKILL_DIR"] == "${CLAUDE_PLUGIN_ROOT}"
    assert _json(CURSOR_MCP)["mcpServers"][SERVER_NAME]["env"]["KLING_SKILL_DIR"] == "${CURSOR_PLUGIN_ROOT}"


def test_the_platform_comes_out_right_for_every_host(private_home: Path) -> None:
    sources = {label: entry["env"].get("SKILL_SOURCE") for label, _, entry in _server_entries()}
    assert sources == {
        "claude plugin": "${SKILL_SOURCE:-claude_code}",  # --plugin-dir checkouts are outside ~/.claude
        "cursor plugin": "cursor",
        "desktop example": "claude_desktop",
        "cursor example": None,  # the path rule tells: the skill lives in ~/.cursor/skills
        "mcpb": "claude_desktop",
    }
    cursor_dir = _json(CURSOR_EXAMPLE)["mcpServers"][SERVER_NAME]["env"]["KLING_SKILL_DIR"]
    resolved = Path(cursor_dir.replace("${userHome}", str(private_home)))
    assert detect_platform(resolved, home=private_home) == "cursor"


def test_placeholders_are_only_the_ones_each_host_expands() -> None:
    for label, kind, entry in _server_entries():
        for text in [entry["command"], *entry["args"], *entry.get("env", {}).values()]:
            for name in _PLACEHOLDER.findall(text):
                assert any(re.fullmatch(allowed, name) for allowed in HOST_VARIABLES[kind]), f"{label}: ${{{name}}}"


def test_every_mcpb_user_option_used_in_the_config_has_a_default_so_it_never_arrives_as_literal_text() -> None:
    # mcpb's getMcpConfigForManifest (2.1.2) leaves ${user_config.x} untouched when x is unset and has
    # no default, so the server would get the placeholder itself as a token.
    manifest = _json(MCPB_MANIFEST)
    options = manifest["user_config"]
    used = _PLACEHOLDER.findall(json.dumps(manifest["server"]["mcp_config"]))
    for name in (name.removeprefix("user_config.") for name in used if name.startswith("user_config.")):
        assert name in options and "default" in options[name], name
    token = options["nemo_token"]
    assert token["sensitive"] is True and token["required"] is False and token["default"] == ""
    assert manifest["server"]["mcp_config"]["env"]["NEMO_TOKEN"] == "${user_config.nemo_token}"


def test_no_file_hard_codes_a_token_or_secret() -> None:
    for path in OWNED_FILES:
        text = path.read_text(encoding="utf-8")
        for pattern in _SECRET_PATTERNS:
            assert not pattern.search(text), f"{path.name}: {pattern.pattern}"
    for label, _, entry in _server_entries():
        for key, value in entry.get("env", {}).items():
            if _SECRET_ENV.search(key):
                assert value == "" or _PLACEHOLDER.fullmatch(value), f"{label}: {key}"
        assert not any(arg.startswith("--token") for arg in entry["args"]), label


def test_the_cursor_manifest_has_only_keys_the_cursor_schema_allows() -> None:
    # cursor/plugins schemas/plugin.schema.json: additionalProperties false, author {name, email}.
    allowed = {
        "name", "displayName", "description", "version", "author", "publisher", "homepage", "repository",
        "license", "logo", "keywords", "category", "tags", "commands", "agents", "skills", "rules", "hooks",
        "variables", "mcpServers",
    }  # fmt: skip
    manifest = _json(CURSOR_PLUGIN)
    assert set(manifest) <= allowed
    assert set(manifest["author"]) <= {"name", "email"} and manifest["author"]["name"]
    assert re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", manifest["name"])
    assert isinstance(manifest["repository"], str)  # a string there, not Claude's object form
    assert set(_json(CURSOR_MCP)) == {"mcpServers"}


def test_the_mcpb_manifest_declares_the_contract_tools() -> None:
    assert {tool["name"] for tool in _json(MCPB_MANIFEST)["tools"]} == CONTRACT_TOOLS


@pytest.mark.anyio
async def test_the_server_registers_exactly_the_tools_the_bundle_declares() -> None:
    from mcp import Client

    from kling_ai_30.mcp_server.server import build_server

    async with Client(build_server()) as client:
        listed = await client.list_tools()
    assert {tool.name for tool in listed.tools} == {tool["name"] for tool in _json(MCPB_MANIFEST)["tools"]}


def test_the_bundle_stages_the_runtime_files_and_nothing_else(tmp_path: Path) -> None:
    build = _load_script("build_mcpb")
    staged = build.stage_bundle(ROOT, tmp_path / "bundle")
    manifest = _json(staged / "manifest.json")
    assert (staged / manifest["server"]["entry_point"]).is_file()
    assert (staged / "SKILL.md").is_file() and (staged / "frontmatter.yaml").is_file()
    assert (staged / "server" / "kling_ai_30" / "__init__.py").is_file()
    assert (staged / "pyproject.toml").read_bytes() == (ROOT / "pyproject.toml").read_bytes()
    allowed = {
        "manifest.json",
        "pyproject.toml",
        "README.md",
        "SKILL.md",
        "frontmatter.yaml",
        "LICENSE",
        "scripts",
        "server",
    }
    assert {path.name for path in staged.iterdir()} <= allowed
    assert not list(staged.rglob("__pycache__")) and not list(staged.rglob("*.pyc"))
    assert build.bundle_name(staged / "manifest.json") == f"kling-ai-30-{FRONTMATTER['version']}.mcpb"


@pytest.mark.parametrize("path", [DESKTOP_EXAMPLE, CURSOR_EXAMPLE, CURSOR_MCP, CLAUDE_PLUGIN], ids=lambda p: p.name)
def test_each_host_names_the_server_kling_ai_30(path: Path) -> None:
    assert list(_json(path)["mcpServers"]) == [SERVER_NAME]


def test_every_json_block_in_the_install_guide_parses() -> None:
    blocks = re.findall(r"```json\n(.*?)```", INSTALL_DOC.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        json.loads(block)


def test_the_claude_upload_zip_has_only_the_keys_that_uploader_accepts(tmp_path: Path) -> None:
    import importlib.util
    import zipfile

    spec = importlib.util.spec_from_file_location("build_skill_zip", ROOT / "scripts" / "build_skill_zip.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    archive = module.build(tmp_path / "skill.zip")
    with zipfile.ZipFile(archive) as zipped:
        skill = zipped.read("kling-ai-30/SKILL.md").decode("utf-8")
    from kling_ai_30.skill import frontmatter_version, parse_skill_md

    frontmatter = parse_skill_md(skill)
    assert set(frontmatter) <= {"name", "description", "license", "allowed-tools", "compatibility", "metadata"}
    assert frontmatter_version(frontmatter) == yaml.safe_load((ROOT / "frontmatter.yaml").read_text())["version"]
    assert "## Tools" in skill


# ------------------------------------------------------------------ ClawHub and the MCP Registry

SOURCE = ROOT / "server" / "kling_ai_30"
# Read as every program reads them: they set up the terminal, the locale and the user folders, not this skill.
PLATFORM_VARIABLES = frozenset(
    {"LANG", "LC_ALL", "LC_MESSAGES", "TERM", "NO_COLOR", "FORCE_COLOR", "HOME", "XDG_CACHE_HOME", "LOCALAPPDATA"}
)
# ClawHub's documented metadata.openclaw keys (openclaw/clawhub docs/skill-format.md).
OPENCLAW_KEYS = {
    "requires", "primaryEnv", "always", "skillKey", "emoji", "homepage", "os", "install", "nix", "config", "envVars",
}  # fmt: skip
REGISTRY_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"


def _environment_reads() -> set[str]:
    """Every environment variable the package reads: the settings table (``config.ENV_VARS``, read in
    a loop), and ``environ.get("X")``, ``environ["X"]`` or ``getenv("X")`` with the name written
    out, in a module constant, or in a loop over a tuple of names."""
    names: set[str] = set()
    unresolved: set[tuple[str, str]] = set()
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        looped = {
            node.target.id: [item.value for item in node.iter.elts if isinstance(item, ast.Constant)]
            for node in ast.walk(tree)
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple)
        }
        for key in _read_keys(tree):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
            elif isinstance(key, ast.Name) and key.id in constants:
                names.add(constants[key.id])
            elif isinstance(key, ast.Name) and isinstance(getattr(config, key.id, None), str):
                names.add(getattr(config, key.id))
            elif isinstance(key, ast.Name) and key.id in looped:
                names.update(looped[key.id])
            elif isinstance(key, ast.Name):
                unresolved.add((path.name, key.id))
    assert not unresolved, f"environment reads the scan cannot follow (name them here): {unresolved}"
    return names | set(config.ENV_VARS)


def _read_keys(tree: ast.AST) -> Iterator[ast.expr]:
    def is_environment(node: ast.expr) -> bool:
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        return name in ("environ", "env", "environment")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if (node.func.attr == "get" and is_environment(node.func.value)) or node.func.attr == "getenv":
                yield node.args[0]
        elif isinstance(node, ast.Subscript) and is_environment(node.value):
            yield node.slice


def _openclaw() -> dict[str, Any]:
    metadata: dict[str, Any] = FRONTMATTER["metadata"]["openclaw"]
    return metadata


def test_clawhub_declares_every_environment_variable_the_code_reads_and_no_other() -> None:
    # ClawHub's scan flags a variable the code reads but the metadata does not declare
    # (reference/skill-ecosystem.md §5.4), and a declared one nothing reads misleads the reader.
    declared = [entry["name"] for entry in _openclaw()["envVars"]]
    assert len(declared) == len(set(declared))
    assert set(declared) == _environment_reads() - PLATFORM_VARIABLES
    assert {"NEMO_TOKEN", "ANTHROPIC_API_KEY", config.CLAUDE_MODEL_ENV} <= set(declared)


def test_clawhub_requires_nothing_and_every_variable_is_optional() -> None:
    openclaw = _openclaw()
    assert openclaw["requires"]["env"] == []  # listed there, OpenClaw would hide the skill until set
    assert all(entry["required"] is False and entry["description"] for entry in openclaw["envVars"])
    assert openclaw["primaryEnv"] == "NEMO_TOKEN"


def test_clawhub_metadata_uses_only_documented_keys_and_no_config_paths() -> None:
    openclaw = _openclaw()
    assert set(openclaw) <= OPENCLAW_KEYS  # `configPaths` is not one of them
    assert set(openclaw["requires"]) <= {"bins", "anyBins", "env", "config"}
    # requires.config is documented as "config file paths", but OpenClaw's loader reads each entry as
    # an openclaw.json setting that must be set (src/agents/skills/config.ts, shouldIncludeSkill):
    # a file path there would keep the skill from ever loading. SKILL.md says what is written where.
    assert "config" not in openclaw["requires"]
    privacy = (ROOT / "SKILL.md").read_text(encoding="utf-8").split("## Privacy and files", 1)[1]
    assert "~/.config/nemovideo/client_id" in privacy and "~/.config/kling-ai-30/" in privacy


def _registry() -> dict[str, Any]:
    entry: dict[str, Any] = _json(REGISTRY_ENTRY)
    return entry


def test_the_registry_entry_follows_the_2025_12_11_schema() -> None:
    entry = _registry()
    assert entry["$schema"] == REGISTRY_SCHEMA
    assert set(entry) <= {
        "$schema", "name", "title", "description", "version", "websiteUrl", "repository", "packages", "remotes",
        "icons", "_meta",
    }  # fmt: skip
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", entry["name"]) and 3 <= len(entry["name"]) <= 200
    assert 1 <= len(entry["description"]) <= 100 and 1 <= len(entry["title"]) <= 100
    assert set(entry["repository"]) >= {"url", "source"}
    for package in entry["packages"]:
        assert {"registryType", "identifier", "transport"} <= set(package)
        assert package["version"] != "latest" and not re.search(r"[\^~<>=*]|\.x\b", package["version"])
        for variable in package["environmentVariables"]:
            assert set(variable) <= {"name", "description", "isRequired", "isSecret", "default", "format", "value"}
            assert variable.get("format", "string") in {"string", "number", "boolean", "filepath"}


def test_the_registry_entry_names_this_repository_and_the_readme_proves_it() -> None:
    entry = _registry()
    owner, repo = FRONTMATTER["homepage"].removeprefix("https://github.com/").split("/")
    assert entry["name"] == f"io.github.{owner}/{repo}"
    assert entry["repository"] == {"url": FRONTMATTER["homepage"], "source": "github"}
    # PyPI ownership: the registry looks for this line in the package's description (the README).
    assert f"mcp-name: {entry['name']}" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "NemoVideo" in entry["description"] and "not an official Kling product" in entry["description"]


def test_the_registry_entry_runs_this_package_s_stdio_server_with_the_settings_it_reads() -> None:
    entry = _registry()
    (package,) = entry["packages"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert (package["registryType"], package["registryBaseUrl"]) == ("pypi", "https://pypi.org")
    assert f'name = "{package["identifier"]}"' in pyproject
    assert entry["version"] == package["version"] == FRONTMATTER["version"]
    assert (package["runtimeHint"], package["transport"]) == ("uvx", {"type": "stdio"})
    argv = [argument["value"] for argument in package["packageArguments"]]
    assert build_parser().parse_args(argv).command == "serve"
    variables = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert set(variables) == set(config.ENV_VARS)
    assert variables["NEMO_TOKEN"]["isSecret"] is True
    assert not any(variable.get("isRequired") for variable in variables.values())
