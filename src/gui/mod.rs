//! The desktop window (egui/eframe). Holds view state only; files and scanning live on the
//! worker thread, and this window makes no network connection.

mod app;
pub mod sanitise;
pub mod worker;

pub use app::TftsrApp;
pub use sanitise::{Command, QuickSanitise};

use crate::pii::PiiType;
use eframe::egui::Color32;
use std::path::PathBuf;

/// Starts the window; `open` is a file to load right away.
pub fn run(open: Option<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("TFTSR — quick sanitise")
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
        Box::new(move |cc| Ok(Box::new(TftsrApp::new(&cc.egui_ctx, open)?))),
    )
}

/// One colour per type, the same everywhere (log view, side panel).
pub fn type_color(kind: PiiType) -> Color32 {
    const PALETTE: [Color32; 12] = [
        Color32::from_rgb(0x4e, 0x79, 0xa7),
        Color32::from_rgb(0xf2, 0x8e, 0x2b),
        Color32::from_rgb(0xe1, 0x57, 0x59),
        Color32::from_rgb(0x76, 0xb7, 0xb2),
        Color32::from_rgb(0x59, 0xa1, 0x4f),
        Color32::from_rgb(0xed, 0xc9, 0x48),
        Color32::from_rgb(0xb0, 0x7a, 0xa1),
        Color32::from_rgb(0xff, 0x9d, 0xa7),
        Color32::from_rgb(0x9c, 0x75, 0x5f),
        Color32::from_rgb(0xba, 0xb0, 0xac),
        Color32::from_rgb(0x3b, 0xb0, 0xe0),
        Color32::from_rgb(0xa0, 0xcb, 0x3a),
    ];
    PALETTE[kind as usize % PALETTE.len()]
}
