//! The desktop window (egui/eframe). Holds view state only; files, scanning, the encrypted
//! store, the vault and the egress agent live on the worker thread.

mod app;
pub mod ask;
pub mod issues;
pub mod providers;
pub mod sanitise;
pub mod security;
pub mod worker;
mod worker_ai;
mod worker_issues;

pub use app::{SettingsTab, Tab, TftsrApp};
pub use sanitise::{Command, QuickSanitise};

use crate::pii::PiiType;
use eframe::egui::Color32;
use eframe::egui::ecolor::Hsva;
use std::path::PathBuf;

/// Starts the window; `open` is a file to load right away.
pub fn run(open: Option<PathBuf>) -> eframe::Result {
    // Resolve everything relative first, then work from the home folder: a file dialog that
    // ignores its start folder (zenity) then opens in home, never beside wherever TFTSR was
    // started (perhaps next to the original log).
    let open = open.map(|p| std::path::absolute(&p).unwrap_or(p));
    let store = worker::StoreConfig::from_env().map(|mut s| {
        s.dir = crate::workspace::DataDir::new(
            std::path::absolute(s.dir.root()).unwrap_or_else(|_| s.dir.root().to_path_buf()),
        );
        s
    });
    if let Some(home) = std::env::home_dir() {
        let _ = std::env::set_current_dir(home);
    }
    let mut viewport = eframe::egui::ViewportBuilder::default();
    if let Ok(icon) = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport: viewport
            .with_title("TFTSR")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        // Nothing of the session is persisted: app.ron would be plaintext.
        persist_window: false,
        ..Default::default()
    };
    eframe::run_native(
        "TFTSR",
        options,
        Box::new(move |cc| Ok(Box::new(TftsrApp::new(&cc.egui_ctx, open, store?)?))),
    )
}

/// One colour per type, the same everywhere (log view, side panel): hues spread by the golden
/// angle so neighbouring types differ.
pub fn type_color(kind: PiiType) -> Color32 {
    let hue = (kind as usize as f32 * 0.618_034).fract();
    Hsva::new(hue, 0.55, 0.62, 1.0).into()
}
