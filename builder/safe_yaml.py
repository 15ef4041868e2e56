"""Reading the repo's workflow and snippet files, which anyone with commit access writes:
YAML without aliases (a 600-byte file of nested aliases, "billion laughs", expands to
gigabytes) and no larger than a workflow file ever needs to be."""

from pathlib import Path

import yaml

MAX_FILE_BYTES = 256 * 1024


class UnsafeYaml(yaml.YAMLError):
    pass


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases (``*name``): an anchor alone is harmless, the
    alias is what repeats a node and lets a small file expand without bound."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise UnsafeYaml(
                f"aliases (*name) are not allowed, line {mark.line + 1} column {mark.column + 1}"
            )
        return super().compose_node(parent, index)


def yaml_file_load(path: Path):
    """The file's document; ``yaml.YAMLError`` (``UnsafeYaml`` for an alias or a file
    over ``MAX_FILE_BYTES``) says what is wrong in words."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnsafeYaml(f"the file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
    return yaml.load(path.read_text(), Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
