//! Query parameters of an export: the same filters as the GraphQL list arguments, named as
//! their input fields (`area.bbox`, `siteTypes`, `assessedFrom`, ...), plus `updatedSince`.
//! Every parameter must be understood: a misspelt filter is refused, never ignored (an
//! ignored filter would export more than asked).

use std::collections::BTreeMap;
use std::str::FromStr;

use camptrack_domain::Invalid;
use camptrack_geo::{Area, Coordinates};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::storage::StorageError;
use crate::storage::area::{self, AreaCache, ResolvedArea};

/// The query parameters, consumed one by one by the dataset that reads them.
#[derive(Debug, Default)]
pub struct Params {
    values: BTreeMap<String, Vec<String>>,
    errors: Vec<(String, String)>,
}

impl Params {
    /// Parses a query string (`a=1&b=2&b=3`; a repeated name gives several values).
    pub fn parse(query: Option<&str>) -> Result<Self, Invalid> {
        let pairs: Vec<(String, String)> = match query {
            None | Some("") => Vec::new(),
            Some(q) => serde_urlencoded_pairs(q)
                .ok_or_else(|| Invalid::one("query", "not a valid URL query string"))?,
        };
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            values.entry(k).or_default().push(v);
        }
        Ok(Self {
            values,
            errors: Vec::new(),
        })
    }

    /// The normalized query: names sorted, values in order, as one string (for the ETag).
    pub fn normalized(&self) -> String {
        let mut out = String::new();
        for (k, vs) in &self.values {
            for v in vs {
                out.push_str(k);
                out.push('=');
                out.push_str(v);
                out.push('&');
            }
        }
        out
    }

    fn bad(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push((field.to_owned(), reason.into()));
    }

    /// Takes `name`'s single value.
    pub fn one(&mut self, name: &str) -> Option<String> {
        let mut vs = self.values.remove(name)?;
        if vs.len() > 1 {
            self.bad(name, "give this parameter once");
            return None;
        }
        vs.pop()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Takes `name`'s values: repeated, comma-separated, or both.
    pub fn list(&mut self, name: &str) -> Vec<String> {
        self.values
            .remove(name)
            .unwrap_or_default()
            .iter()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Takes `name` parsed by `FromStr`.
    pub fn parsed<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let raw = self.one(name)?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.bad(name, format!("`{raw}` is not {what}"));
                None
            }
        }
    }

    /// Takes a date (`YYYY-MM-DD`).
    pub fn date(&mut self, name: &str) -> Option<NaiveDate> {
        self.parsed(name, "a date (YYYY-MM-DD)")
    }

    /// Takes a UUID.
    pub fn uuid(&mut self, name: &str) -> Option<Uuid> {
        self.parsed(name, "a UUID")
    }

    /// Takes a code list's codes (e.g. `OPEN,CLOSED`).
    pub fn codes<T: FromStr>(&mut self, name: &str) -> Vec<T>
    where
        T::Err: std::fmt::Display,
    {
        let mut out = Vec::new();
        for raw in self.list(name) {
            match raw.to_ascii_uppercase().parse::<T>() {
                Ok(v) => out.push(v),
                Err(e) => self.bad(name, format!("`{raw}`: {e}")),
            }
        }
        out
    }

    /// Takes a p-code, upper-cased.
    pub fn pcode(&mut self, name: &str) -> Option<String> {
        self.one(name).map(|p| p.to_ascii_uppercase())
    }

    /// Takes `updatedSince`: an RFC 3339 instant, or a date (its first instant, UTC).
    pub fn updated_since(&mut self) -> Option<DateTime<Utc>> {
        let raw = self.one("updatedSince")?;
        if let Ok(t) = DateTime::parse_from_rfc3339(&raw) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(d) = raw.parse::<NaiveDate>() {
            return Some(d.and_time(chrono::NaiveTime::MIN).and_utc());
        }
        self.bad(
            "updatedSince",
            format!("`{raw}` is not an RFC 3339 instant (2024-05-01T00:00:00Z) or a date"),
        );
        None
    }

    /// Takes the area: exactly one of `area.cells`, `area.bbox` (west,south,east,north),
    /// `area.near` (lat,lon,radiusMeters), `area.polygon` (GeoJSON) or `area.adminPcode`,
    /// resolved as GraphQL's `AreaInput` is.
    pub async fn area(
        &mut self,
        conn: &impl ConnectionTrait,
    ) -> Result<Option<ResolvedArea>, StorageError> {
        let cells = self.list("area.cells");
        let bbox = self.list("area.bbox");
        let near = self.list("area.near");
        let polygon = self.one("area.polygon");
        let pcode = self.pcode("area.adminPcode");
        let given = [
            !cells.is_empty(),
            !bbox.is_empty(),
            !near.is_empty(),
            polygon.is_some(),
            pcode.is_some(),
        ]
        .into_iter()
        .filter(|g| *g)
        .count();
        if given > 1 {
            self.bad(
                "area",
                "give exactly one of area.cells, area.bbox, area.near, area.polygon, area.adminPcode",
            );
            return Ok(None);
        }
        let limits = crate::graphql::area::limits();
        if let Some(pcode) = pcode {
            return area::admin_area(conn, &AreaCache::default(), &pcode, &limits)
                .await
                .map(Some);
        }
        let geo = if !cells.is_empty() {
            let mut parsed = Vec::new();
            for c in &cells {
                match c.parse::<camptrack_geo::Cell>() {
                    Ok(cell) => parsed.push(cell),
                    Err(e) => {
                        self.bad("area.cells", format!("`{c}`: {e}"));
                        return Ok(None);
                    }
                }
            }
            Area::cells(parsed)
        } else if !bbox.is_empty() {
            let Some([west, south, east, north]) = self.numbers::<4>("area.bbox", &bbox) else {
                return Ok(None);
            };
            match Area::bbox(west, south, east, north) {
                Ok(a) => a,
                Err(e) => return self.geo_error(&e),
            }
        } else if !near.is_empty() {
            let Some([lat, lon, radius]) = self.numbers::<3>("area.near", &near) else {
                return Ok(None);
            };
            match Coordinates::new(lat, lon).and_then(|c| Area::near(c, radius)) {
                Ok(a) => a,
                Err(e) => return self.geo_error(&e),
            }
        } else if let Some(text) = polygon {
            let value: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    self.bad("area.polygon", format!("not JSON: {e}"));
                    return Ok(None);
                }
            };
            match Area::from_geojson(&value, &limits) {
                Ok(a) => a,
                Err(e) => return self.geo_error(&e),
            }
        } else {
            return Ok(None);
        };
        match ResolvedArea::geo(geo, &limits) {
            Ok(a) => Ok(Some(a)),
            Err(e) => self.geo_error(&e),
        }
    }

    fn numbers<const N: usize>(&mut self, name: &str, raw: &[String]) -> Option<[f64; N]> {
        let parsed: Vec<f64> = raw.iter().filter_map(|v| v.parse().ok()).collect();
        match <[f64; N]>::try_from(parsed) {
            Ok(a) if raw.len() == N => Some(a),
            _ => {
                self.bad(name, format!("give {N} comma-separated numbers"));
                None
            }
        }
    }

    fn geo_error<T>(&mut self, e: &camptrack_geo::GeoError) -> Result<Option<T>, StorageError> {
        let path = crate::graphql::area::path(e);
        if e.is_limit() {
            return Err(StorageError::Limit(format!("{path}: {e}")));
        }
        self.bad(&path, e.to_string());
        Ok(None)
    }

    /// Records a problem found while resolving a value (e.g. an unknown organisation code).
    pub fn refuse(&mut self, field: &str, reason: impl Into<String>) {
        self.bad(field, reason);
    }

    /// Ends parsing: every parameter left over is unknown to this dataset; every problem
    /// recorded is reported at once.
    pub fn finish(mut self) -> Result<(), Invalid> {
        let leftover: Vec<String> = self.values.keys().cloned().collect();
        for name in leftover {
            self.bad(&name, "not a parameter of this export");
        }
        let mut errors = camptrack_domain::error::Errors::default();
        for (field, reason) in self.errors {
            errors.add(&field, reason);
        }
        errors.finish(())
    }
}

/// Splits a query string into decoded pairs.
fn serde_urlencoded_pairs(query: &str) -> Option<Vec<(String, String)>> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&format!("/?{query}").parse().ok()?)
        .ok()
        .map(|q| q.0)
}
