//! Register, log in, log out, with a clear message when it fails.

use crate::chrome::{Browser, Options};
use anyhow::{Result, ensure};
use system_tests::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_registers_logs_out_and_back_in_and_is_told_why_a_login_fails() -> Result<()> {
    let app = spawn_app().await;
    let base = format!("http://{}/", app.http_addr);
    let b = Browser::launch("accounts", Options::DESKTOP).await?;
    let result = async {
        // A wrong password is refused with a message.
        b.goto(&base).await?;
        b.fill("#login-form [name=username]", "bob").await?;
        b.fill("#login-form [name=password]", "not the password").await?;
        b.click("#login-form button[type=submit]").await?;
        b.wait_text("#login-msg", "Wrong username or password.")
            .await?;
        b.screenshot("login-failed").await?;

        // Registering: the page checks the repeat, the server the length.
        b.click("#tab-register").await?;
        b.fill("#register-form [name=username]", "bob").await?;
        b.fill("#register-form [name=password]", "a long password")
            .await?;
        b.fill("#register-form [name=password2]", "another password")
            .await?;
        b.click("#register-form button[type=submit]").await?;
        b.wait_text("#login-msg", "The two passwords differ.").await?;
        b.fill("#register-form [name=password]", "short").await?;
        b.fill("#register-form [name=password2]", "short").await?;
        b.click("#register-form button[type=submit]").await?;
        b.wait_js(
            "the server's password rule",
            "return document.querySelector('#login-msg').textContent.includes('8 to 1024 characters')",
        )
        .await?;
        b.fill("#register-form [name=password]", "a long password")
            .await?;
        b.fill("#register-form [name=password2]", "a long password")
            .await?;
        b.click("#register-form button[type=submit]").await?;
        b.wait_text("#who", "bob").await?;
        b.wait_visible("#outlets").await?;
        ensure!(
            app.store().find_user("bob").await?.is_some(),
            "bob is stored"
        );

        // The session survives a reload.
        b.client().refresh().await?;
        b.wait_text("#who", "bob").await?;

        // Settings: an API token, shown once, then revoked.
        b.click("[data-nav=settings]").await?;
        b.wait_text("#account-title", "Account").await?;
        b.fill("#add-token [name=name]", "home-assistant").await?;
        b.click("#add-token button[type=submit]").await?;
        b.wait_visible("#dialog [data-secret=token]").await?;
        let token = b.text("#dialog [data-secret=token]").await?;
        ensure!(token.starts_with("so_"), "a token: {token:?}");
        b.click("#dialog [data-dialog=ok]").await?;
        b.wait_js(
            "the token listed",
            "return [...document.querySelectorAll('#tokens tr[data-token]')].some(r => r.textContent.includes('home-assistant') && r.dataset.revoked === 'false')",
        )
        .await?;
        ensure!(
            app.backend().token_user(&token).await?.is_some(),
            "the token works"
        );
        // A notification target: one inside the server's network is refused, a public one
        // is listed.
        b.choose("#add-target [name=kind]", "ntfy").await?;
        b.fill("#add-target [name=url]", "http://127.0.0.1:9/x").await?;
        b.click("#add-target button[type=submit]").await?;
        b.wait_js(
            "the refusal shown",
            "return [...document.querySelectorAll('.toast')].some(t => t.textContent.includes('private, loopback or link-local'))",
        )
        .await?;
        b.fill("#add-target [name=url]", "https://ntfy.invalid/bobs-alerts").await?;
        b.click("#add-target button[type=submit]").await?;
        b.wait_js(
            "the target listed",
            "return [...document.querySelectorAll('#targets tr[data-target]')].some(r => r.textContent.includes('ntfy.invalid/bobs-alerts'))",
        )
        .await?;
        b.screenshot("settings").await?;
        b.click("#tokens [data-revoke]").await?;
        b.click("#dialog [data-dialog=ok]").await?;
        b.wait_js(
            "the token revoked",
            "return !!document.querySelector('#tokens tr[data-revoked=true]')",
        )
        .await?;
        ensure!(
            app.backend().token_user(&token).await?.is_none(),
            "a revoked token is refused"
        );

        // Log out, then back in.
        b.click("#logout").await?;
        b.wait_text("#login-msg", "You are logged out.").await?;
        ensure!(
            b.js("return document.querySelector('#nav').hidden")
                .await?
                .as_bool()
                == Some(true),
            "the navigation is hidden when logged out"
        );
        // With the keyboard only: the username field has the focus.
        b.wait_js(
            "the username field focused",
            "return document.activeElement === document.querySelector('#login-form [name=username]')",
        )
        .await?;
        b.type_keys("bob\u{E004}a long password\u{E007}").await?;
        b.wait_text("#who", "bob").await?;
        // Back where the session ended.
        b.wait_text("#account-title", "Account").await?;
        b.click("[data-nav=dashboard]").await?;
        b.wait_visible("#no-outlets").await?;
        Ok(())
    }
    .await;
    b.finish(result).await
}

/// The settings' Security card: change the password (a wrong current one is named), then
/// delete the account after a confirmation; both reach the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_changes_the_password_then_deletes_the_account() -> Result<()> {
    let app = spawn_app().await;
    let carol = app.add_user("carol").await;
    app.add_ccu(&carol, "0C").await;
    let base = format!("http://{}/", app.http_addr);
    let b = Browser::launch("security", Options::DESKTOP).await?;
    let result = async {
        b.goto(&base).await?;
        b.fill("#login-form [name=username]", "carol").await?;
        b.fill("#login-form [name=password]", "correct horse battery")
            .await?;
        b.click("#login-form button[type=submit]").await?;
        b.wait_text("#who", "carol").await?;
        b.click("[data-nav=settings]").await?;
        b.wait_text("#security-title", "Security").await?;

        // A wrong current password is named, and nothing changes.
        b.fill("#change-password [name=current]", "not my password")
            .await?;
        b.fill("#change-password [name=new]", "a brand new password")
            .await?;
        b.fill("#change-password [name=new2]", "a brand new password")
            .await?;
        b.click("#change-password button[type=submit]").await?;
        b.wait_text(
            "#change-password [data-f=password-msg]",
            "The current password is wrong.",
        )
        .await?;
        b.fill("#change-password [name=current]", "correct horse battery")
            .await?;
        b.click("#change-password button[type=submit]").await?;
        b.wait_js(
            "the form reset after the change",
            "return document.querySelector('#change-password [name=new]').value === ''",
        )
        .await?;
        let store = app.store();
        ensure!(
            backend::admin::verify_user(store, "carol", "a brand new password")
                .await
                .is_ok(),
            "the new password works"
        );
        ensure!(
            backend::admin::verify_user(store, "carol", "correct horse battery")
                .await
                .is_err(),
            "the old one does not"
        );
        b.screenshot("security").await?;

        // Delete the account: confirmed in a dialog, then the login page says so.
        b.fill("#delete-account [name=password]", "a brand new password")
            .await?;
        b.click("#delete-account button[type=submit]").await?;
        b.wait_visible("#dialog [data-dialog=ok]").await?;
        b.click("#dialog [data-dialog=ok]").await?;
        b.wait_text("#login-msg", "Your account was deleted.")
            .await?;
        ensure!(
            store.find_user("carol").await?.is_none(),
            "the account is gone"
        );
        ensure!(store.get_ccu("0C").await?.is_none(), "with its CCU");
        Ok(())
    }
    .await;
    b.finish(result).await
}
