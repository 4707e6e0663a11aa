//! `qingting serve`: runs the web server.

use crate::{config::Settings, startup::Application};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    bind: Option<String>,
    /// Load the demo district first if the database is empty, and print demo logins.
    #[arg(long)]
    demo: bool,
}

pub async fn run(mut settings: Settings, args: Args) -> anyhow::Result<()> {
    if let Some(b) = args.bind {
        if settings.server.public_url == crate::config::ServerSettings::default().public_url {
            settings.server.public_url = format!("http://{b}");
        }
        settings.server.bind = b;
    }
    if args.demo {
        // The demo's group robots post to a local sink: deliver within seconds.
        settings.robots.poll_seconds = settings.robots.poll_seconds.min(3);
    }
    let app = Application::build(settings).await?;
    if args.demo {
        if crate::demo::is_empty(&app.db).await? {
            let summary = crate::demo::load(&app.db).await?;
            print!("{summary}");
        } else {
            println!("The database already holds data; demo data not loaded again.");
            print!("{}", crate::demo::logins_text());
        }
    }
    println!("Qingting is running at http://{}/", app.addr);
    tracing::info!(addr = %app.addr, "listening");
    app.run().await
}
