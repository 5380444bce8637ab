//! Audits environment inputs and topology: quantity differences (sizes, counts) are fine, kind and structural differences are what make staging stop predicting prod.
