//! `qingting config example`: prints the documented default configuration.

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the documented default configuration file.
    Example,
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Example => print!("{}", crate::config::EXAMPLE),
    }
    Ok(())
}
