//! Helpers shared by the test modules.

use sluice_compiler::diagnostics::{render, to_json, ColorMode};
use sluice_compiler::{CheckOptions, Checked, Diagnostics, Mode, SourceFile};
use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Compiles a program file the way `sluice check` does; the file is named by
/// its file name only so snapshots do not depend on where the repo lives.
pub fn compile_file(path: &Path) -> (SourceFile, Result<Checked, Diagnostics>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path.file_name().expect("a file").to_string_lossy().to_string();
    let file = SourceFile::new(name, text);
    let dir = path.parent().expect("a directory").to_path_buf();
    let result = sluice_compiler::compile_to_plan(&file, &CheckOptions { mode: Mode::FileIn(dir) });
    (file, result)
}

/// Every diagnostic rendered without colour, as a user sees it.
pub fn render_plain(diagnostics: &Diagnostics, file: &SourceFile) -> String {
    diagnostics.iter().map(|d| render(d, file, ColorMode::Never)).collect()
}

/// Every diagnostic as `--message-format json` prints it.
pub fn render_json(diagnostics: &Diagnostics, file: &SourceFile) -> String {
    diagnostics.iter().map(|d| format!("{}\n", to_json(d, file))).collect()
}
