//! `ferry advise --env ENV [--plan ID] [--template NAME]`: the filled prompt on stdout when no
//! `[advisor] url` is configured (with a hint on stderr), else the endpoint's answer, stored as
//! advice on the plan and printed as untrusted text. Advice never changes an exit code of any
//! gate; a failing advisor is an error of this command only.

use crate::cli::AdviseArgs;
use crate::front::Ctx;
use crate::output::{json, out, Format};
use anyhow::Result;
use ferry_app::ops::advise::{AdviseInput, AdviseView};

pub fn run(ctx: &Ctx, args: AdviseArgs) -> Result<()> {
    let app = ctx.app()?;
    let who = ctx.claim(&app.project.root)?;
    let (api_key, secrets) = ctx.advisor_secrets(Some(&app.project));
    let v = app.advise(
        &who,
        &AdviseInput {
            env: args.env,
            plan: args.plan,
            template: args.template,
            api_key,
            secrets,
        },
    )?;
    if ctx.format == Format::Json {
        json(&v);
        return Ok(());
    }
    match &v {
        AdviseView::Prompt { env, plan, prompt } => {
            // Exactly the bytes hashed, so `ferry advise … | sha256sum` matches.
            out(&prompt.text);
            eprintln!(
                "ferry: this is the {} v{} prompt for plan {} of '{env}' ({}). No [advisor] url is configured, so ferry asked no one: paste it into any assistant, or add to ferry.toml\n  [advisor]\n  url = \"http://127.0.0.1:PORT/v1\"   # an OpenAI-compatible endpoint\n  model = \"MODEL\"\n  api_key_env = \"FERRY_ADVISOR_KEY\"   # optional: the variable holding the key\nand run `ferry advise --env {env}` again. Advice never approves: a person does, with `ferry approve`.",
                prompt.template,
                prompt.version,
                plan.short(),
                prompt.sha256
            );
        }
        AdviseView::Advised { advice, .. } => {
            crate::render::advice(std::slice::from_ref(advice.as_ref()), true);
        }
    }
    Ok(())
}
