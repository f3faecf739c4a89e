//! Custom scalars: H3 cells travel as hex strings, never as 32-bit `Int`s.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use camptrack_geo::Cell;

/// An H3 cell index as lower-case hex, e.g. `8f754e64992d6d8`. Any resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H3Cell(pub Cell);

#[Scalar(name = "H3Cell")]
impl ScalarType for H3Cell {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .parse::<Cell>()
                .map(H3Cell)
                .map_err(|e| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// A point on the Earth, in WGS84 degrees.
#[derive(Debug, Clone, Copy, async_graphql::SimpleObject)]
pub struct Location {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
}

impl From<camptrack_geo::Coordinates> for Location {
    fn from(c: camptrack_geo::Coordinates) -> Self {
        Self {
            lat: c.lat(),
            lon: c.lon(),
        }
    }
}

/// A 64-bit integer for sums that can pass the 32 bits of GraphQL's `Int` (people over
/// large areas, stock balances). Sent as a JSON number (exact up to 2^53, far beyond any
/// real count); accepted as a number or a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigInt(pub i64);

#[Scalar(name = "BigInt")]
impl ScalarType for BigInt {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(BigInt)
                .map_err(|_| InputValueError::custom(format!("`{s}` is not a 64-bit integer"))),
            Value::Number(n) => n
                .as_i64()
                .map(BigInt)
                .ok_or_else(|| InputValueError::custom(format!("{n} is not a 64-bit integer"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}
