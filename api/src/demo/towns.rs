//! The fixed geography and organisations behind the demo data: real displacement hubs with
//! approximate coordinates, plausible p-codes and simple admin polygons.
//!
//! It also holds the code tables the generator draws from (SADD bands, needs, indicator
//! keys, shelter types by site type).
//!
//! Admin2 outlines are axis-aligned rings (longitude, latitude) without the closing point;
//! the generator closes them. They are not real boundaries: each is drawn big enough to hold
//! the sites scattered around its towns. Two deliberate oddities exercise area queries: Jere
//! (Borno) surrounds Maiduguri Metropolitan Council, as the real LGA does, so its ring has a
//! hole; and Fiji's Cakaudrove reaches the antimeridian (longitude 180) from the west. Its
//! Taveuni sites straddle the line and its Rabi island sites lie just east of it; a single
//! ring cannot cross the line, so sites east of it fall outside their admin2's polygon.

use camptrack_domain::codes::{
    DisplacementReason as R, ManagementType, OrganisationType as O, PriorityNeed as N, Sex,
    ShelterType as T, SiteType as S,
};

/// An organisation the demo knows.
#[derive(Debug)]
pub(super) struct Org {
    /// Unique code, e.g. `IOM`.
    pub(super) code: &'static str,
    /// Full name.
    pub(super) name: &'static str,
    /// Acronym, when the organisation uses one.
    pub(super) acronym: Option<&'static str>,
    /// Kind of organisation.
    pub(super) org_type: O,
}

/// A country with its admin areas and the habits of its operation.
#[derive(Debug)]
pub(super) struct Country {
    /// ISO3 code, the admin0 p-code.
    pub(super) iso3: &'static str,
    /// English name.
    pub(super) name_en: &'static str,
    /// French name.
    pub(super) name_fr: &'static str,
    /// Why people are displaced here, most common first, with weights.
    pub(super) reasons: &'static [(R, u32)],
    /// Which site types this operation reports, with weights.
    pub(super) site_mix: &'static [(S, u32)],
    /// Codes of organisations that manage sites here.
    pub(super) managers: &'static [&'static str],
    /// Admin1 areas.
    pub(super) admin1s: &'static [Admin1],
}

/// An admin1 area (state, region, province, division).
#[derive(Debug)]
pub(super) struct Admin1 {
    /// P-code.
    pub(super) pcode: &'static str,
    /// English name.
    pub(super) name_en: &'static str,
    /// French name, where one is in use.
    pub(super) name_fr: Option<&'static str>,
    /// Its admin2 areas.
    pub(super) admin2s: &'static [Admin2],
}

/// An admin2 area (LGA, district, county, territory, commune, province).
#[derive(Debug)]
pub(super) struct Admin2 {
    /// P-code.
    pub(super) pcode: &'static str,
    /// English name.
    pub(super) name_en: &'static str,
    /// French name, where one is in use.
    pub(super) name_fr: Option<&'static str>,
    /// Outer ring as (lon, lat), not closed.
    pub(super) outer: &'static [(f64, f64)],
    /// A hole as (lon, lat), not closed.
    pub(super) hole: Option<&'static [(f64, f64)]>,
    /// The towns around which its sites cluster.
    pub(super) towns: &'static [Town],
}

/// A town that hosts displacement sites.
#[derive(Debug)]
pub(super) struct Town {
    /// Latitude of the hub's centre.
    pub(super) lat: f64,
    /// Longitude of the hub's centre.
    pub(super) lon: f64,
    /// Standard deviation of the sites' distance from the centre, per axis, in km.
    pub(super) sd_km: f64,
    /// Size rank among all towns: 1 hosts the most sites.
    pub(super) rank: u32,
    /// Names of neighbourhoods, schools and landmarks that sites are named after.
    pub(super) places: &'static [&'static str],
}

/// An axis-aligned ring from its west, south, east and north bounds.
const fn rect(w: f64, s: f64, e: f64, n: f64) -> [(f64, f64); 4] {
    [(w, s), (e, s), (e, n), (w, n)]
}

const fn t(lat: f64, lon: f64, sd_km: f64, rank: u32, places: &'static [&'static str]) -> Town {
    Town {
        lat,
        lon,
        sd_km,
        rank,
        places,
    }
}

const fn a2(
    pcode: &'static str,
    name_en: &'static str,
    outer: &'static [(f64, f64)],
    towns: &'static [Town],
) -> Admin2 {
    Admin2 {
        pcode,
        name_en,
        name_fr: None,
        outer,
        hole: None,
        towns,
    }
}

const fn a2fr(
    pcode: &'static str,
    name: &'static str,
    outer: &'static [(f64, f64)],
    towns: &'static [Town],
) -> Admin2 {
    Admin2 {
        pcode,
        name_en: name,
        name_fr: Some(name),
        outer,
        hole: None,
        towns,
    }
}

/// The organisations: UN agencies, INGOs, national NGOs, government agencies and a donor.
pub(super) const ORGS: &[Org] = &[
    Org {
        code: "IOM",
        name: "International Organization for Migration",
        acronym: Some("IOM"),
        org_type: O::UnAgency,
    },
    Org {
        code: "UNHCR",
        name: "Office of the United Nations High Commissioner for Refugees",
        acronym: Some("UNHCR"),
        org_type: O::UnAgency,
    },
    Org {
        code: "NRC",
        name: "Norwegian Refugee Council",
        acronym: Some("NRC"),
        org_type: O::Ingo,
    },
    Org {
        code: "IRC",
        name: "International Rescue Committee",
        acronym: Some("IRC"),
        org_type: O::Ingo,
    },
    Org {
        code: "SEMA",
        name: "Borno State Emergency Management Agency",
        acronym: Some("SEMA"),
        org_type: O::Government,
    },
    Org {
        code: "DGPC",
        name: "Direction Générale de la Protection Civile",
        acronym: Some("DGPC"),
        org_type: O::Government,
    },
    Org {
        code: "NDMO",
        name: "National Disaster Management Office",
        acronym: Some("NDMO"),
        org_type: O::Government,
    },
    Org {
        code: "LCCAI",
        name: "Lake Chad Community Aid Initiative",
        acronym: Some("LCCAI"),
        org_type: O::Nngo,
    },
    Org {
        code: "HRDN",
        name: "Hiiraan Relief and Development Network",
        acronym: Some("HRDN"),
        org_type: O::Nngo,
    },
    Org {
        code: "SODEKI",
        name: "Solidarité pour le Développement du Kivu",
        acronym: Some("SODEKI"),
        org_type: O::Nngo,
    },
    Org {
        code: "ECHO",
        name: "European Civil Protection and Humanitarian Aid Operations",
        acronym: Some("ECHO"),
        org_type: O::Donor,
    },
];

const MMC: [(f64, f64); 4] = rect(13.06, 11.74, 13.26, 11.94);

/// Cakaudrove: an L-shaped ring whose eastern edge is the antimeridian.
const CAKAUDROVE: [(f64, f64); 6] = [
    (178.9, -17.2),
    (180.0, -17.2),
    (180.0, -16.3),
    (179.9, -16.3),
    (179.9, -16.66),
    (178.9, -16.66),
];

/// The countries, their admin areas and their displacement hubs.
pub(super) const COUNTRIES: &[Country] = &[
    Country {
        iso3: "NGA",
        name_en: "Nigeria",
        name_fr: "Nigéria",
        reasons: &[(R::Conflict, 80), (R::CommunalClashes, 12), (R::Flood, 8)],
        site_mix: &[
            (S::PlannedCamp, 25),
            (S::SelfSettledCamp, 35),
            (S::CollectiveCentre, 5),
            (S::ReceptionCentre, 3),
            (S::TransitCentre, 2),
            (S::HostCommunity, 30),
        ],
        managers: &["IOM", "SEMA", "NRC", "LCCAI", "IRC"],
        admin1s: &[
            Admin1 {
                pcode: "NG008",
                name_en: "Borno",
                name_fr: None,
                admin2s: &[
                    a2(
                        "NG008018",
                        "Maiduguri M. C.",
                        &MMC,
                        &[t(
                            11.8311,
                            13.151,
                            3.0,
                            1,
                            &[
                                "Bakassi",
                                "Teachers Village",
                                "Muna Garage",
                                "El-Miskin",
                                "NYSC",
                                "Stadium",
                                "Gubio",
                                "Farm Centre",
                                "Shuwari",
                                "Bulumkutu",
                            ],
                        )],
                    ),
                    Admin2 {
                        hole: Some(&MMC),
                        ..a2(
                            "NG008013",
                            "Jere",
                            &rect(12.85, 11.6, 13.45, 12.15),
                            &[t(
                                11.905,
                                13.035,
                                3.0,
                                4,
                                &[
                                    "Mashamari",
                                    "Khaddamari",
                                    "Old Maiduguri",
                                    "Custom House",
                                    "Ngomari",
                                    "Dusuman",
                                ],
                            )],
                        )
                    },
                    a2(
                        "NG008020",
                        "Monguno",
                        &rect(13.4, 12.5, 13.8, 12.85),
                        &[t(
                            12.6706,
                            13.6105,
                            2.5,
                            3,
                            &[
                                "Stadium",
                                "Water Board",
                                "Kuya",
                                "Fulatari",
                                "Gana Ali",
                                "Ngurno",
                            ],
                        )],
                    ),
                    a2(
                        "NG008004",
                        "Bama",
                        &rect(13.5, 11.35, 13.9, 11.7),
                        &[t(
                            11.5213,
                            13.6856,
                            2.0,
                            6,
                            &["GSSS", "Hospital", "Shehu Palace", "Mairi", "Kasugula"],
                        )],
                    ),
                    a2(
                        "NG008012",
                        "Gwoza",
                        &rect(13.5, 10.9, 13.9, 11.3),
                        &[t(
                            11.086,
                            13.6914,
                            2.0,
                            10,
                            &["Gwoza Town", "Pulka", "Ngoshe", "Hausari"],
                        )],
                    ),
                    a2(
                        "NG008010",
                        "Dikwa",
                        &rect(13.75, 11.9, 14.05, 12.2),
                        &[t(
                            12.0361,
                            13.9153,
                            1.8,
                            12,
                            &["Fariya", "Government Lodge", "Mafa Road", "Ajiri"],
                        )],
                    ),
                    a2(
                        "NG008023",
                        "Ngala",
                        &rect(14.05, 12.2, 14.45, 12.5),
                        &[t(
                            12.3406,
                            14.1833,
                            2.0,
                            9,
                            &["Gamboru", "ISS", "Rann Road", "Wulgo"],
                        )],
                    ),
                    a2(
                        "NG008007",
                        "Damboa",
                        &rect(12.55, 11.0, 12.95, 11.35),
                        &[t(
                            11.1553,
                            12.7564,
                            2.0,
                            14,
                            &["Sabon Gari", "Gumsuri", "Mulai", "Bultu"],
                        )],
                    ),
                ],
            },
            Admin1 {
                pcode: "NG002",
                name_en: "Adamawa",
                name_fr: None,
                admin2s: &[
                    a2(
                        "NG002021",
                        "Yola South",
                        &rect(12.3, 9.05, 12.7, 9.4),
                        &[t(
                            9.2035,
                            12.4954,
                            2.5,
                            15,
                            &["Malkohi", "NYSC Camp Damare", "Fufore Road", "Jimeta"],
                        )],
                    ),
                    a2(
                        "NG002013",
                        "Mubi North",
                        &rect(13.05, 10.1, 13.45, 10.45),
                        &[t(
                            10.2676,
                            13.2644,
                            2.0,
                            18,
                            &["Kirya", "Lokuwa", "Yelwa", "Gwaiki"],
                        )],
                    ),
                ],
            },
        ],
    },
    Country {
        iso3: "SOM",
        name_en: "Somalia",
        name_fr: "Somalie",
        reasons: &[
            (R::Drought, 45),
            (R::Conflict, 35),
            (R::Flood, 12),
            (R::Economic, 8),
        ],
        site_mix: &[
            (S::SelfSettledCamp, 70),
            (S::PlannedCamp, 5),
            (S::HostCommunity, 15),
            (S::CollectiveCentre, 5),
            (S::TransitCentre, 5),
        ],
        managers: &["IOM", "NRC", "HRDN", "IRC"],
        admin1s: &[
            Admin1 {
                pcode: "SO22",
                name_en: "Banadir",
                name_fr: None,
                admin2s: &[
                    a2(
                        "SO2206",
                        "Daynile",
                        &rect(45.15, 2.06, 45.3, 2.2),
                        &[t(
                            2.115,
                            45.245,
                            2.0,
                            2,
                            &[
                                "Tabelaha",
                                "Barwaaqo",
                                "Ceel Jaale",
                                "Nasiib",
                                "Gubadley",
                                "Halgan",
                                "Rajo",
                            ],
                        )],
                    ),
                    a2(
                        "SO2210",
                        "Kaxda",
                        &rect(45.15, 1.95, 45.3, 2.06),
                        &[t(
                            2.01,
                            45.235,
                            1.8,
                            5,
                            &["Kaxda", "Wadajir", "Badbaado", "Sigale", "Mursal"],
                        )],
                    ),
                    a2(
                        "SO2204",
                        "Hodan",
                        &rect(45.3, 1.98, 45.42, 2.12),
                        &[t(
                            2.04,
                            45.345,
                            1.5,
                            11,
                            &["Hodan", "Taleex", "Tarabuunka", "Zoobe"],
                        )],
                    ),
                ],
            },
            Admin1 {
                pcode: "SO24",
                name_en: "Bay",
                name_fr: None,
                admin2s: &[a2(
                    "SO2401",
                    "Baidoa",
                    &rect(43.45, 2.95, 43.85, 3.3),
                    &[t(
                        3.1138,
                        43.6498,
                        3.0,
                        7,
                        &[
                            "Hawl Wadaag",
                            "Isha",
                            "Berdaale Road",
                            "Bonka",
                            "Wadajir",
                            "Salaamey",
                        ],
                    )],
                )],
            },
            Admin1 {
                pcode: "SO25",
                name_en: "Gedo",
                name_fr: None,
                admin2s: &[a2(
                    "SO2504",
                    "Doolow",
                    &rect(41.9, 4.0, 42.25, 4.35),
                    &[t(
                        4.1632,
                        42.0778,
                        2.0,
                        13,
                        &["Kabasa", "Qansaxley", "Buulo Jameeco", "Ladan"],
                    )],
                )],
            },
            Admin1 {
                pcode: "SO21",
                name_en: "Hiraan",
                name_fr: None,
                admin2s: &[a2(
                    "SO2101",
                    "Belet Weyne",
                    &rect(45.0, 4.55, 45.4, 4.9),
                    &[t(
                        4.7358,
                        45.2036,
                        2.5,
                        16,
                        &["Koshin", "Ceel Jaale", "Hawo Taako", "Buundo Weyn"],
                    )],
                )],
            },
            Admin1 {
                pcode: "SO28",
                name_en: "Lower Juba",
                name_fr: None,
                admin2s: &[a2(
                    "SO2803",
                    "Kismayo",
                    &rect(42.35, -0.55, 42.75, -0.15),
                    &[t(
                        -0.3582,
                        42.5454,
                        2.5,
                        19,
                        &["Dalxiska", "Shaqaalaha", "Farjano", "Calanley"],
                    )],
                )],
            },
            Admin1 {
                pcode: "SO11",
                name_en: "Awdal",
                name_fr: None,
                admin2s: &[a2(
                    "SO1101",
                    "Borama",
                    &rect(43.0, 9.75, 43.35, 10.1),
                    &[t(
                        9.9361,
                        43.1828,
                        2.0,
                        27,
                        &["Sheikh Ali Jowhar", "Xalimo", "Qorax Dhegax"],
                    )],
                )],
            },
        ],
    },
    Country {
        iso3: "SSD",
        name_en: "South Sudan",
        name_fr: "Soudan du Sud",
        reasons: &[(R::Conflict, 60), (R::Flood, 25), (R::CommunalClashes, 15)],
        site_mix: &[
            (S::PlannedCamp, 40),
            (S::SelfSettledCamp, 30),
            (S::CollectiveCentre, 10),
            (S::HostCommunity, 20),
        ],
        managers: &["IOM", "UNHCR", "NRC"],
        admin1s: &[
            Admin1 {
                pcode: "SS08",
                name_en: "Unity",
                name_fr: None,
                admin2s: &[a2(
                    "SS0806",
                    "Rubkona",
                    &rect(29.6, 9.1, 30.0, 9.45),
                    &[t(
                        9.285,
                        29.79,
                        3.5,
                        8,
                        &[
                            "Bentiu IDP Camp Sector",
                            "Rubkona Town",
                            "Kaljak",
                            "Nhialdiu",
                            "Bimruok",
                        ],
                    )],
                )],
            },
            Admin1 {
                pcode: "SS07",
                name_en: "Upper Nile",
                name_fr: None,
                admin2s: &[a2(
                    "SS0701",
                    "Malakal",
                    &rect(31.45, 9.35, 31.85, 9.7),
                    &[t(
                        9.5334,
                        31.6605,
                        2.5,
                        17,
                        &["Malakal PoC Sector", "Assosa", "Hai Matar", "Bam"],
                    )],
                )],
            },
            Admin1 {
                pcode: "SS01",
                name_en: "Central Equatoria",
                name_fr: None,
                admin2s: &[a2(
                    "SS0101",
                    "Juba",
                    &rect(31.4, 4.7, 31.75, 5.0),
                    &[t(
                        4.8594,
                        31.5713,
                        3.0,
                        20,
                        &["Mahad", "Mangateen", "Gurei", "Don Bosco", "Munuki"],
                    )],
                )],
            },
            Admin1 {
                pcode: "SS04",
                name_en: "Jonglei",
                name_fr: None,
                admin2s: &[a2(
                    "SS0401",
                    "Bor South",
                    &rect(31.4, 6.05, 31.75, 6.35),
                    &[t(
                        6.2088,
                        31.5594,
                        2.0,
                        22,
                        &["Mingkaman Road", "Malualchaat", "Marol", "Panyagor"],
                    )],
                )],
            },
            Admin1 {
                pcode: "SS10",
                name_en: "Western Bahr el Ghazal",
                name_fr: None,
                admin2s: &[a2(
                    "SS1001",
                    "Wau",
                    &rect(27.8, 7.55, 28.2, 7.85),
                    &[t(
                        7.7029,
                        27.9953,
                        2.0,
                        23,
                        &["Cathedral", "Nazareth", "Masna", "Lokoloko"],
                    )],
                )],
            },
        ],
    },
    Country {
        iso3: "COD",
        name_en: "Democratic Republic of the Congo",
        name_fr: "République démocratique du Congo",
        reasons: &[
            (R::Conflict, 75),
            (R::CommunalClashes, 15),
            (R::Flood, 5),
            (R::Other, 5),
        ],
        site_mix: &[
            (S::SelfSettledCamp, 40),
            (S::PlannedCamp, 15),
            (S::CollectiveCentre, 25),
            (S::HostCommunity, 20),
        ],
        managers: &["UNHCR", "IOM", "NRC", "SODEKI"],
        admin1s: &[
            Admin1 {
                pcode: "CD61",
                name_en: "North Kivu",
                name_fr: Some("Nord-Kivu"),
                admin2s: &[
                    a2fr(
                        "CD6101",
                        "Goma",
                        &rect(29.05, 1.5, 29.4, 1.85),
                        &[t(
                            1.6792,
                            29.2228,
                            4.0,
                            21,
                            &[
                                "Bulengo",
                                "Lushagala",
                                "Kanyaruchinya",
                                "Rusayo",
                                "Elohim",
                                "Mugunga",
                                "Don Bosco Ngangi",
                            ],
                        )],
                    ),
                    a2fr(
                        "CD6104",
                        "Rutshuru",
                        &rect(29.25, 1.0, 29.65, 1.4),
                        &[t(
                            1.1877,
                            29.4477,
                            2.0,
                            25,
                            &["Kiwanja", "Kalengera", "Katale"],
                        )],
                    ),
                    a2fr(
                        "CD6107",
                        "Beni",
                        &rect(29.3, 0.3, 29.65, 0.7),
                        &[t(
                            0.4911,
                            29.4731,
                            2.0,
                            26,
                            &["Mavivi", "Butanuka", "Oicha Route", "Kasinga"],
                        )],
                    ),
                ],
            },
            Admin1 {
                pcode: "CD54",
                name_en: "Ituri",
                name_fr: Some("Ituri"),
                admin2s: &[
                    a2fr(
                        "CD5401",
                        "Bunia",
                        &rect(30.1, 1.4, 30.4, 1.7),
                        &[t(
                            1.5594,
                            30.2522,
                            2.0,
                            24,
                            &["Plaine Savo", "Kigonze", "Telega", "Djaiba"],
                        )],
                    ),
                    a2fr(
                        "CD5403",
                        "Djugu",
                        &rect(30.35, 1.75, 30.7, 2.1),
                        &[t(1.92, 30.5, 2.5, 28, &["Rhoe", "Drodro", "Largu", "Lala"])],
                    ),
                ],
            },
        ],
    },
    Country {
        iso3: "HTI",
        name_en: "Haiti",
        name_fr: "Haïti",
        reasons: &[
            (R::Conflict, 70),
            (R::Eviction, 10),
            (R::Earthquake, 12),
            (R::Storm, 8),
        ],
        site_mix: &[
            (S::CollectiveCentre, 55),
            (S::SelfSettledCamp, 35),
            (S::EvacuationCentre, 10),
        ],
        managers: &["IOM", "DGPC"],
        admin1s: &[
            Admin1 {
                pcode: "HT01",
                name_en: "Ouest",
                name_fr: Some("Ouest"),
                admin2s: &[
                    a2fr(
                        "HT0111",
                        "Port-au-Prince",
                        &rect(-72.4, 18.48, -72.32, 18.58),
                        &[t(
                            18.545,
                            -72.355,
                            1.5,
                            29,
                            &[
                                "Lycée Marie-Jeanne",
                                "Place Sainte-Anne",
                                "École Argentine Bellegarde",
                                "Théâtre National",
                                "Bel-Air",
                            ],
                        )],
                    ),
                    a2fr(
                        "HT0112",
                        "Delmas",
                        &rect(-72.32, 18.48, -72.26, 18.58),
                        &[t(
                            18.53,
                            -72.29,
                            1.0,
                            30,
                            &[
                                "Delmas 33",
                                "Lycée Daniel Fignolé",
                                "Église Saint-Gérard",
                                "Carrefour Aéroport",
                            ],
                        )],
                    ),
                    a2fr(
                        "HT0113",
                        "Croix-des-Bouquets",
                        &rect(-72.26, 18.5, -72.1, 18.66),
                        &[t(
                            18.577,
                            -72.2,
                            2.0,
                            31,
                            &["Canaan", "Noailles", "Marin", "Santo"],
                        )],
                    ),
                ],
            },
            Admin1 {
                pcode: "HT07",
                name_en: "Sud",
                name_fr: Some("Sud"),
                admin2s: &[a2fr(
                    "HT0711",
                    "Les Cayes",
                    &rect(-73.9, 18.1, -73.6, 18.35),
                    &[t(
                        18.1933,
                        -73.746,
                        2.0,
                        32,
                        &[
                            "Camp Perrin Road",
                            "Lycée Philippe Guerrier",
                            "Torbeck",
                            "Bergeaud",
                        ],
                    )],
                )],
            },
        ],
    },
    Country {
        iso3: "FJI",
        name_en: "Fiji",
        name_fr: "Fidji",
        reasons: &[(R::Storm, 75), (R::Flood, 25)],
        site_mix: &[
            (S::EvacuationCentre, 70),
            (S::CollectiveCentre, 20),
            (S::HostCommunity, 10),
        ],
        managers: &["NDMO", "IOM"],
        admin1s: &[Admin1 {
            pcode: "FJ3",
            name_en: "Northern",
            name_fr: None,
            admin2s: &[
                a2(
                    "FJ302",
                    "Macuata",
                    &rect(178.9, -16.66, 179.9, -16.1),
                    &[t(
                        -16.4167,
                        179.3833,
                        2.0,
                        33,
                        &[
                            "Labasa Sangam School",
                            "Vunimoli",
                            "Naodamu",
                            "Siberia",
                            "Bulileka",
                        ],
                    )],
                ),
                a2(
                    "FJ301",
                    "Cakaudrove",
                    &CAKAUDROVE,
                    &[
                        t(
                            -16.7796,
                            179.332,
                            1.5,
                            34,
                            &["Savusavu Primary", "Nukubalavu", "Lesiaceva", "Vatudova"],
                        ),
                        t(
                            -16.79,
                            179.999,
                            1.2,
                            35,
                            &["Somosomo", "Waiyevo", "Wairiki", "Naqara"],
                        ),
                        t(
                            -16.47,
                            -179.97,
                            1.0,
                            36,
                            &["Nuku", "Tabwewa", "Buakonikai", "Tabiang"],
                        ),
                    ],
                ),
            ],
        }],
    },
];

/// Kilometres per degree of latitude.
pub(super) const KM_PER_DEGREE: f64 = 111.32;

/// DTM Nigeria bands (sex, age_min, age_max) with typical shares (per mille) of a displaced
/// population.
pub(super) const BANDS: [(Sex, u8, Option<u8>, f64); 10] = [
    (Sex::Female, 0, Some(0), 20.0),
    (Sex::Female, 1, Some(5), 90.0),
    (Sex::Female, 6, Some(17), 150.0),
    (Sex::Female, 18, Some(59), 240.0),
    (Sex::Female, 60, None, 30.0),
    (Sex::Male, 0, Some(0), 20.0),
    (Sex::Male, 1, Some(5), 90.0),
    (Sex::Male, 6, Some(17), 140.0),
    (Sex::Male, 18, Some(59), 190.0),
    (Sex::Male, 60, None, 30.0),
];

/// Priority needs with how often key informants rank them.
pub(super) const NEEDS: &[(N, u32)] = &[
    (N::Food, 30),
    (N::Shelter, 20),
    (N::Nfi, 18),
    (N::Water, 15),
    (N::Sanitation, 10),
    (N::Health, 10),
    (N::Livelihoods, 8),
    (N::Protection, 6),
    (N::Education, 5),
    (N::Documentation, 3),
];

/// Keys of further indicators a form may carry.
pub(super) const INDICATORS: &[&str] = &[
    "latrines_functional",
    "water_points_functional",
    "hand_washing_stations",
    "waste_disposal",
    "health_facility_on_site",
    "school_accessible",
    "lighting_common_areas",
    "market_distance_km",
    "flood_risk",
    "eviction_threat",
    "gbv_referral_available",
    "cooking_fuel_access",
];

/// The word that ends a site's name.
pub(super) fn kind_label(site_type: S) -> &'static str {
    match site_type {
        S::PlannedCamp => "Camp",
        S::SelfSettledCamp => "Settlement",
        S::CollectiveCentre => "Collective Centre",
        S::ReceptionCentre => "Reception Centre",
        S::TransitCentre => "Transit Centre",
        S::EvacuationCentre => "Evacuation Centre",
        S::HostCommunity => "Host Community",
    }
}

/// The shelter types seen at a type of site, with weights.
pub(super) fn shelter_choices(site_type: S) -> &'static [(T, u32)] {
    match site_type {
        S::PlannedCamp => &[(T::Tent, 3), (T::EmergencyShelter, 4), (T::Transitional, 3)],
        S::SelfSettledCamp => &[(T::Makeshift, 6), (T::EmergencyShelter, 3), (T::None, 1)],
        S::CollectiveCentre | S::EvacuationCentre => &[(T::CollectiveBuilding, 9), (T::Tent, 1)],
        S::ReceptionCentre | S::TransitCentre => &[(T::Tent, 6), (T::CollectiveBuilding, 4)],
        S::HostCommunity => &[(T::HostFamily, 6), (T::Solid, 2), (T::Makeshift, 2)],
    }
}

/// The kind of site management an organisation provides.
pub(super) fn management_type_of(code: &str) -> ManagementType {
    match ORGS.iter().find(|o| o.code == code).map(|o| o.org_type) {
        Some(O::UnAgency) => ManagementType::UnAgency,
        Some(O::Ingo) => ManagementType::Ingo,
        Some(O::Nngo) => ManagementType::Nngo,
        Some(O::Government) => ManagementType::Government,
        _ => ManagementType::Community,
    }
}
