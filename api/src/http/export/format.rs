//! The two export formats: CSV with a second header row of HXL hashtags, and GeoJSON
//! FeatureCollections. Each page of rows is encoded on its own, so a body is written as its
//! rows arrive and memory stays flat however many rows follow.

use camptrack_domain::codes::Sex;
use camptrack_domain::sadd::SaddRow;
use camptrack_geo::{Cell, Coordinates};
use serde_json::{Map, Value, json};

/// One exported value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// Empty in CSV, `null` in GeoJSON.
    Null,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A truth value (`true`/`false` in CSV).
    Bool(bool),
}

impl Val {
    /// Text of anything displayable (codes, dates, ids); `Null` for `None`.
    pub fn text<T: ToString>(v: Option<T>) -> Self {
        v.map_or(Self::Null, |v| Self::Text(v.to_string()))
    }

    /// A whole number, `Null` for `None`.
    pub fn int<T: Into<i64>>(v: Option<T>) -> Self {
        v.map_or(Self::Null, |v| Self::Int(v.into()))
    }

    /// The value as a CSV field.
    pub fn csv(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Text(t) => t.clone(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }

    /// The value as a GeoJSON property.
    pub fn json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Text(t) => Value::String(t.clone()),
            Self::Int(i) => json!(i),
            Self::Float(f) => json!(f),
            Self::Bool(b) => json!(b),
        }
    }
}

/// How a row's value is read.
type Getter<R> = Box<dyn Fn(&R) -> Val + Send + Sync>;

/// One column of a dataset: a GeoJSON property key, a readable CSV header and an HXL hashtag.
pub struct Column<R> {
    /// Property key in GeoJSON (the GraphQL field name where there is one).
    pub key: String,
    /// Readable header (first CSV row).
    pub label: String,
    /// HXL hashtag with attributes (second CSV row); empty when HXL has none.
    pub hxl: String,
    value: Getter<R>,
}

impl<R> std::fmt::Debug for Column<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("key", &self.key)
            .field("hxl", &self.hxl)
            .finish_non_exhaustive()
    }
}

impl<R> Column<R> {
    /// A column reading `value` from each row.
    pub fn new(
        key: impl Into<String>,
        label: impl Into<String>,
        hxl: impl Into<String>,
        value: impl Fn(&R) -> Val + Send + Sync + 'static,
    ) -> Self {
        Self {
            key: key.into(),
            label: label.into(),
            hxl: hxl.into(),
            value: Box::new(value),
        }
    }

    /// The value of this column in `row`.
    pub fn get(&self, row: &R) -> Val {
        (self.value)(row)
    }
}

/// Where a row lies on a map.
#[derive(Debug, Clone, Copy)]
pub enum Geometry {
    /// Not located: a GeoJSON feature with a null geometry.
    None,
    /// A point.
    Point(Coordinates),
    /// An H3 hexagon.
    Cell(Cell),
}

/// A band of the SADD columns: one sex, one exact age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Sex.
    pub sex: Sex,
    /// Youngest completed age.
    pub age_min: u8,
    /// Oldest completed age; `None` when open.
    pub age_max: Option<u8>,
}

/// The default SADD columns: DTM's five bands (<1, 1-5, 6-17, 18-59, 60+) for women and men.
pub fn default_bands() -> Vec<Band> {
    let ages = [
        (0, Some(0)),
        (1, Some(5)),
        (6, Some(17)),
        (18, Some(59)),
        (60, None),
    ];
    [Sex::Female, Sex::Male]
        .into_iter()
        .flat_map(|sex| {
            ages.into_iter().map(move |(age_min, age_max)| Band {
                sex,
                age_min,
                age_max,
            })
        })
        .collect()
}

impl Band {
    /// The band's HXL attributes, e.g. `+f+children+age1_5` or `+m+elderly+age60plus`.
    pub fn hxl_attributes(&self) -> String {
        let sex = match self.sex {
            Sex::Female => "+f",
            Sex::Male => "+m",
            Sex::Other => "+x",
            Sex::Unspecified => "+u",
        };
        let group = match (self.age_min, self.age_max) {
            (_, Some(max)) if max < 1 => "+infants",
            (_, Some(max)) if max <= 17 => "+children",
            (min, _) if min >= 60 => "+elderly",
            (min, _) if min >= 18 => "+adults",
            _ => "",
        };
        let age = match self.age_max {
            Some(max) => format!("+age{}_{max}", self.age_min),
            None => format!("+age{}plus", self.age_min),
        };
        format!("{sex}{group}{age}")
    }

    /// A readable name, e.g. `F 1-5` or `M 60+`.
    pub fn label(&self) -> String {
        match self.age_max {
            Some(max) => format!("{} {}-{max}", self.sex, self.age_min),
            None => format!("{} {}+", self.sex, self.age_min),
        }
    }

    /// A property key, e.g. `sadd_f_1_5` or `sadd_m_60_plus`.
    pub fn key(&self) -> String {
        let sex = self.sex.to_string().to_ascii_lowercase();
        match self.age_max {
            Some(max) => format!("sadd_{sex}_{}_{max}", self.age_min),
            None => format!("sadd_{sex}_{}_plus", self.age_min),
        }
    }

    /// The count of exactly this band in `rows` (bands are never re-banded), if present.
    pub fn count(&self, rows: &[SaddRow]) -> Val {
        rows.iter()
            .find(|r| (r.sex, r.age_min, r.age_max) == (self.sex, self.age_min, self.age_max))
            .map_or(Val::Null, |r| Val::Int(i64::from(r.count)))
    }
}

/// Every SADD row as text, e.g. `F 0-17: 25; M 60+: 3`, so no band is lost when the band
/// columns do not match a record's bands.
pub fn sadd_text(rows: &[SaddRow]) -> Val {
    if rows.is_empty() {
        return Val::Null;
    }
    let parts: Vec<String> = rows
        .iter()
        .map(|r| {
            let band = Band {
                sex: r.sex,
                age_min: r.age_min,
                age_max: r.age_max,
            };
            format!("{}: {}", band.label(), r.count)
        })
        .collect();
    Val::Text(parts.join("; "))
}

/// One column per band, with `prefix` as the HXL hashtag (e.g. `#affected+idps`), reading
/// the rows from each record with `sadd`.
pub fn band_columns<R: 'static>(
    bands: &[Band],
    prefix: &'static str,
    sadd: fn(&R) -> Option<&[SaddRow]>,
) -> Vec<Column<R>> {
    bands
        .iter()
        .map(|band| {
            let b = *band;
            Column::new(
                band.key(),
                format!("SADD {}", band.label()),
                format!("{prefix}{}", band.hxl_attributes()),
                move |r: &R| sadd(r).map_or(Val::Null, |rows| b.count(rows)),
            )
        })
        .collect()
}

/// Encodes the two CSV header rows.
pub fn csv_header<R>(columns: &[Column<R>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns.iter().map(|c| c.label.as_str()))?;
    w.write_record(columns.iter().map(|c| c.hxl.as_str()))?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Encodes rows as CSV records (RFC 4180 quoting, `\r\n` ends).
pub fn csv_rows<R>(columns: &[Column<R>], rows: &[R]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        w.write_record(columns.iter().map(|c| c.get(row).csv()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The opening of a FeatureCollection.
pub const GEOJSON_HEAD: &str = "{\"type\":\"FeatureCollection\",\"features\":[\n";
/// The end of a FeatureCollection.
pub const GEOJSON_TAIL: &str = "\n]}\n";

/// Encodes rows as GeoJSON features, each preceded by a comma unless it opens the list.
pub fn geojson_rows<R>(
    columns: &[Column<R>],
    rows: &[R],
    geometry: impl Fn(&R) -> Geometry,
    mut first: bool,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    for row in rows {
        let mut props = Map::new();
        for c in columns {
            props.insert(c.key.clone(), c.get(row).json());
        }
        let feature = match geometry(row) {
            Geometry::None => json!({ "type": "Feature", "geometry": null, "properties": props }),
            Geometry::Point(p) => json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [p.lon(), p.lat()] },
                "properties": props,
            }),
            Geometry::Cell(cell) => {
                let mut f = camptrack_geo::cell_feature(cell);
                if let Some(existing) = f.get_mut("properties").and_then(Value::as_object_mut) {
                    existing.extend(props);
                } else {
                    f["properties"] = Value::Object(props);
                }
                f
            }
        };
        if !first {
            out.extend_from_slice(b",\n");
        }
        first = false;
        serde_json::to_writer(&mut out, &feature)?;
    }
    Ok(out)
}
