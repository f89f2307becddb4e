//! kitbench (Rust): the shared kit benchmark logic, identical in the Go, C,
//! AssemblyScript and Rust kits (see plugins/testdata/kitbench/README.md):
//!   - refuse with code "no_channel" when context.channel is missing or empty;
//!   - set request.tz to context.user.timezone when that is a non-empty string;
//!   - set the variable named config.variable (default "channel"), type Text,
//!     to context.channel, replacing a variable of that name if present.
//!
//! Built by plugins/plugins.mk to plugins/build/testdata/kitbench/rust.wasm.

use agentshape::{Envelope, Error, Request, Variable};

fn tag_channel(env: Envelope) -> Result<Request, Error> {
    let Envelope { plugin, context, mut request, .. } = env;
    if context.channel.is_empty() {
        return Err(Error::new("no_channel", "context.channel is missing: pass the conversation's channel (e.g. \"web\") in the context"));
    }
    if !context.user.timezone.is_empty() {
        request.set("tz", context.user.timezone)?;
    }
    let name = plugin.config.string("variable", "channel")?;
    request.put_variable(Variable::text(name, context.channel))?;
    Ok(request)
}

agentshape::export_shape!(tag_channel);
