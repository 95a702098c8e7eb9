# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options of the modules that write a daemon's configuration file
    (module_utils/_configfile.py: file_options)."""

    DOCUMENTATION = r"""
options:
  backup:
    description: Keep a timestamped copy of the old file when it changes.
    type: bool
    default: true
  owner:
    description: Owner of O(dest).
    type: str
    default: root
  group:
    description: Group of O(dest).
    type: str
    default: root
  mode:
    description: Mode of O(dest). It may hold passwords, so it is not world-readable by default.
    type: raw
    default: "0640"
attributes:
  check_mode:
    support: full
    details:
      - Renders and checks the new file and compares it with the one on the host (content,
        owner, group, mode), then stops; no temporary file, no backup, no write.
      - The daemon's own config test does not run in check mode (it needs the file on the host);
        a missing binary is only a warning there.
  diff_mode:
    support: full
    details: The diff shows the old and the new file with every secret replaced by C(********).
  platform:
    platforms: posix
"""
