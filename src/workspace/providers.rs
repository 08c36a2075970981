//! Provider configurations and network settings, each change audited. Keys are handled by
//! [`Workspace::set_provider_key`] (vault) and never pass through here.

use super::{Workspace, WorkspaceError};
use crate::ai::{ProviderConfig, ProviderKind, ProviderOptions};
use crate::audit::NewEntry;
use crate::egress::{CheckedUrl, Origin, Policy};
use crate::store::records::{self, ProviderRow};
use serde_json::json;

const OFFLINE_KEY: &str = "network.offline";
const ORIGINS_KEY: &str = "network.origins";

impl Workspace {
    pub fn providers(&self) -> Result<Vec<ProviderConfig>, WorkspaceError> {
        records::list_providers(self.store.conn())?
            .into_iter()
            .map(|row| {
                Ok(ProviderConfig {
                    kind: ProviderKind::parse(&row.kind).ok_or_else(|| {
                        WorkspaceError::Invalid(format!("unknown provider kind {}", row.kind))
                    })?,
                    options: serde_json::from_str(&row.options).unwrap_or_default(),
                    id: row.id,
                    name: row.name,
                    base_url: row.base_url,
                    model: row.model,
                })
            })
            .collect()
    }

    pub fn provider(&self, name: &str) -> Result<ProviderConfig, WorkspaceError> {
        self.providers()?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                WorkspaceError::Invalid(format!(
                    "no provider named {name:?}; see `tftsr provider list`"
                ))
            })
    }

    /// Adds a provider (no key; see `set_provider_key`). The base URL must parse, without
    /// credentials or a fragment; whether its origin is allowed is decided at send time.
    pub fn add_provider(
        &mut self,
        name: &str,
        kind: ProviderKind,
        base_url: Option<&str>,
        model: &str,
        options: ProviderOptions,
    ) -> Result<ProviderConfig, WorkspaceError> {
        let name = name.trim();
        let unprintable = |s: &str| s.chars().any(|c| c.is_control() || is_bidi_control(c));
        if model.len() > 200 || unprintable(model) {
            return Err(WorkspaceError::Invalid(
                "a model name is at most 200 printable characters".into(),
            ));
        }
        if name.is_empty() || name.len() > 64 || unprintable(name) {
            return Err(WorkspaceError::Invalid(
                "a provider name is 1 to 64 printable characters".into(),
            ));
        }
        if model.trim().is_empty() {
            return Err(WorkspaceError::Invalid("a model name is needed".into()));
        }
        if kind == ProviderKind::Custom && options.custom.is_none() {
            return Err(WorkspaceError::Invalid(
                "a custom provider needs its request and response fields".into(),
            ));
        }
        let base_url = base_url
            .unwrap_or(kind.default_base_url())
            .trim()
            .to_string();
        let checked = CheckedUrl::parse(&base_url)
            .map_err(|e| WorkspaceError::Invalid(format!("the base URL was refused: {e}")))?;
        let cfg = ProviderConfig {
            id: crate::store::new_id(),
            name: name.to_string(),
            kind,
            base_url,
            model: model.trim().to_string(),
            options,
        };
        let row = ProviderRow {
            id: cfg.id.clone(),
            name: cfg.name.clone(),
            kind: kind.name().to_string(),
            base_url: cfg.base_url.clone(),
            model: cfg.model.clone(),
            options: serde_json::to_string(&cfg.options)
                .map_err(|e| WorkspaceError::Invalid(e.to_string()))?,
        };
        self.audited(
            |tx| Ok(records::insert_provider(tx, &row)?),
            |_| NewEntry {
                action: "provider_added",
                entity_type: "provider",
                entity_id: cfg.id.clone(),
                details: json!({"name": cfg.name, "kind": kind.name(), "origin": checked.origin.to_string(), "model": cfg.model}),
            },
        )
        .map_err(|e| match e {
            WorkspaceError::Store(crate::store::StoreError::Sql(ref s))
                if s.to_string().contains("UNIQUE") =>
            {
                WorkspaceError::Invalid(format!("a provider named {name:?} already exists"))
            }
            other => other,
        })?;
        Ok(cfg)
    }

    /// Removes a provider and its key.
    pub fn remove_provider(&mut self, name: &str) -> Result<(), WorkspaceError> {
        let cfg = self.provider(name)?;
        self.remove_provider_key(&cfg.id)?;
        self.audited(
            |tx| Ok(records::delete_provider(tx, &cfg.id)?),
            |_| NewEntry {
                action: "provider_removed",
                entity_type: "provider",
                entity_id: cfg.id.clone(),
                details: json!({"name": cfg.name}),
            },
        )?;
        Ok(())
    }

    /// Offline mode and the added origins, from the settings table.
    pub fn network_policy(&self) -> Result<Policy, WorkspaceError> {
        let conn = self.store.conn();
        let offline = records::get_setting(conn, OFFLINE_KEY)?.is_some_and(|v| v == "true");
        let added: Vec<String> = records::get_setting(conn, ORIGINS_KEY)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        Ok(Policy {
            offline,
            added: added
                .iter()
                .filter_map(|o| Origin::parse_addition(o).ok())
                .collect(),
        })
    }

    pub fn set_offline(&mut self, offline: bool) -> Result<(), WorkspaceError> {
        self.audited(
            |tx| {
                Ok(records::set_setting(
                    tx,
                    OFFLINE_KEY,
                    if offline { "true" } else { "false" },
                )?)
            },
            |_| NewEntry {
                action: "network_offline_set",
                entity_type: "settings",
                entity_id: OFFLINE_KEY.to_string(),
                details: json!({"offline": offline}),
            },
        )
    }

    /// Adds an origin to the allow-list (HTTPS, or HTTP on loopback).
    pub fn add_origin(&mut self, text: &str) -> Result<Origin, WorkspaceError> {
        let origin =
            Origin::parse_addition(text).map_err(|e| WorkspaceError::Invalid(e.to_string()))?;
        self.change_origins(
            |list| {
                if !list.contains(&origin) {
                    list.push(origin.clone());
                }
            },
            "network_origin_added",
            &origin,
        )?;
        Ok(origin)
    }

    pub fn remove_origin(&mut self, origin: &Origin) -> Result<(), WorkspaceError> {
        self.change_origins(
            |list| list.retain(|o| o != origin),
            "network_origin_removed",
            origin,
        )
    }

    fn change_origins(
        &mut self,
        change: impl FnOnce(&mut Vec<Origin>),
        action: &'static str,
        origin: &Origin,
    ) -> Result<(), WorkspaceError> {
        let mut list = self.network_policy()?.added;
        change(&mut list);
        let text: Vec<String> = list.iter().map(Origin::to_string).collect();
        let value =
            serde_json::to_string(&text).map_err(|e| WorkspaceError::Invalid(e.to_string()))?;
        self.audited(
            |tx| Ok(records::set_setting(tx, ORIGINS_KEY, &value)?),
            |_| NewEntry {
                action,
                entity_type: "settings",
                entity_id: ORIGINS_KEY.to_string(),
                details: json!({"origin": origin.to_string()}),
            },
        )
    }
}

/// Bidirectional controls, which can make a name display as something else.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}
