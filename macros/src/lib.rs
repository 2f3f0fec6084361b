//! `sluice::stream!`: not yet implemented (see the README's status table).
//! It will run the same compiler library as the `sluice` CLI.
