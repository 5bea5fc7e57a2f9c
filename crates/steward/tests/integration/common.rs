#![allow(dead_code)] // harness helpers used by some test modules only
//! The harness: a real Steward server on 127.0.0.1:0 over a fresh database (a temporary
//! SQLite file, or a new PostgreSQL database created and dropped per test), demo data
//! seeded, and clients that sign in the way a browser does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::Response;
use steward_core::{CoreConfig, Db, SmtpConfig, Steward};
use steward_web::{AppState, WebConfig};
use tokio::sync::oneshot;

pub const PASSWORD: &str = steward_core::demo::DEMO_PASSWORD;
pub const DPO: &str = "dpo@demo.steward.test";
pub const ADMIN: &str = "admin@demo.steward.test";
pub const HARBOUR_IG: &str = "iglead@harbour.demo.steward.test";
pub const HARBOUR_AUDITOR: &str = "auditor@harbour.demo.steward.test";
pub const CASTLE_IG: &str = "iglead@castlehill.demo.steward.test";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server for the tests: `STEWARD_TEST_POSTGRES` or the local one with trust auth.
pub fn postgres_admin_url() -> String {
    std::env::var("STEWARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub struct TestServer {
    pub base: String,
    pub steward: Steward,
    pub backend: Backend,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// The key this server seals second-factor keys with (64 hex characters), for commands
    /// run on its data (a restore of its backup needs it).
    pub secret_key: String,
    _dir: tempfile::TempDir,
    pg_database: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Options {
    pub smtp: Option<SmtpConfig>,
    pub max_attachment_bytes: usize,
    pub web: WebConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            smtp: None,
            max_attachment_bytes: 1024 * 1024,
            web: WebConfig::default(),
        }
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary folder");
        let data_dir = dir.path().to_path_buf();
        let (database_url, pg_database) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", data_dir.join("steward.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("steward_it_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                let pool = pg_admin(&admin).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .expect("create a test database");
                pool.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                (format!("{base}/{name}"), Some(name))
            }
        };
        let db = Db::connect(&database_url)
            .await
            .expect("connect and migrate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let secret_key = steward_core::sealed::SecretKey::generate_hex();
        let steward = Steward::new(
            db,
            CoreConfig {
                data_dir: data_dir.clone(),
                max_attachment_bytes: options.max_attachment_bytes,
                base_url: base.clone(),
                smtp: options.smtp,
                secret_key: Some(steward_core::sealed::SecretKey::from_hex(&secret_key).unwrap()),
            },
        );
        steward
            .seed_demo(chrono::Utc::now().date_naive(), 0)
            .await
            .expect("seed demo data");
        let state = AppState::new(steward.clone(), options.web);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            steward_web::serve(state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            base,
            steward,
            backend,
            database_url,
            data_dir,
            secret_key,
            _dir: dir,
            pg_database,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server and drops its PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.steward.db.pool.close().await;
        if let Some(name) = self.pg_database.take() {
            let pool = pg_admin(&postgres_admin_url()).await;
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client with no session yet.
    pub fn visitor(&self) -> Client {
        Client::new(&self.base)
    }

    /// Signs in through the pages as a browser would, answering the DPO's second step with
    /// the current code of the stored authenticator key.
    pub async fn sign_in(&self, email: &str) -> Client {
        let c = self.visitor();
        let res = c.sign_in(email, PASSWORD).await;
        assert_eq!(res.status(), 303, "sign-in of {email} should redirect");
        let to = location(&res);
        if to == "/sign-in/code" {
            let code = self.current_code(email).await;
            let res = c.post_form("/sign-in/code", &[("code", &code)]).await;
            assert_eq!(location(&res), "/", "second step of {email}");
        } else {
            assert_eq!(to, "/", "sign-in of {email}");
        }
        c
    }

    /// A code the user's authenticator shows now that has not been used yet (a code is
    /// accepted once); waits for the next one when this minute's are spent.
    pub async fn current_code(&self, email: &str) -> String {
        let id = self.user_id(email).await;
        for _ in 0..40 {
            if let Some(code) = self.steward.unused_totp_code(&id, email).await.unwrap() {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        panic!("{email} has no second-factor code to give");
    }

    /// A fresh API token of the user, made through the account page.
    pub async fn api_token(&self, email: &str) -> String {
        let c = self.sign_in(email).await;
        let res = c.post_form("/account/tokens", &[("name", "tests")]).await;
        let body = res.text().await.unwrap();
        let start = body
            .find("stw_")
            .expect("the page shows the new token once");
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    }

    /// The id of an organisation by ODS code.
    pub async fn organisation(&self, ods: &str) -> String {
        steward_db::query_scalar("SELECT id FROM organisations WHERE ods_code = $1")
            .bind(ods)
            .fetch_one(&self.steward.db.pool)
            .await
            .expect("organisation exists")
    }

    pub async fn user_id(&self, email: &str) -> String {
        steward_db::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&self.steward.db.pool)
            .await
            .expect("user exists")
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            base: self.base.clone(),
            token: token.to_string(),
            http: reqwest::Client::new(),
        }
    }
}

async fn pg_admin(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} must be running for the tests: {e}"))
}

/// Every module's demo data on top of the core's (what `steward demo` seeds): a test that
/// needs one record of every kind calls this. A new module adds its demo here.
pub async fn seed_modules(s: &TestServer) {
    let harbour = s.organisation("Y90001").await;
    let demo = steward_core::demo::Demo {
        cluster_id: String::new(),
        organisations: vec![("Harbour View Surgery".into(), harbour)],
        sign_ins: vec![],
    };
    steward_access_review::demo::seed_demo_audit(&s.steward, &demo)
        .await
        .expect("demo access audit");
    steward_rights::demo::seed_demo_requests(&s.steward, chrono::Utc::now().date_naive())
        .await
        .expect("demo rights requests");
    steward_assurance::demo::seed_demo_assurance(&s.steward, chrono::Utc::now().date_naive())
        .await
        .expect("demo cluster assurance");
    steward_dpia::demo::seed_demo_dpias(&s.steward, chrono::Utc::now().date_naive())
        .await
        .expect("demo DPIAs");
    steward_compliance::demo::seed_demo_compliance(&s.steward, chrono::Utc::now().date_naive())
        .await
        .expect("demo compliance");
    steward_registers::demo::seed_demo_registers(&s.steward, chrono::Utc::now().date_naive())
        .await
        .expect("demo registers");
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// A browser-like client: cookies kept, redirects not followed (tests look at them),
/// the CSRF token sent with every form as the pages do.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    jar: Arc<Jar>,
}

impl Client {
    fn new(base: &str) -> Client {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .build()
            .unwrap();
        Client {
            base: base.to_string(),
            http,
            jar,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url: reqwest::Url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// The CSRF token, fetching a page first if the browser has none yet.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.cookie("steward_csrf") {
            return t;
        }
        self.get("/sign-in").await;
        self.cookie("steward_csrf")
            .expect("the server sets the CSRF cookie")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// A form post without the CSRF field, as a forged cross-site form would send it.
    pub async fn post_form_without_csrf(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Response {
        let csrf = self.csrf().await;
        let form = form.text("csrf", csrf);
        self.http
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post_form("/sign-in", &[("email", email), ("password", password)])
            .await
    }
}

/// A JSON API client with a bearer token.
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        json_of(self.req(reqwest::Method::GET, path).send().await.unwrap()).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        json_of(self.req(method, path).json(body).send().await.unwrap()).await
    }
}

pub async fn json_of(res: Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, value)
}

/// Runs a test body against one backend, and drops the PostgreSQL database even when the
/// body fails.
pub async fn run_on<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Arc<TestServer>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let server = Arc::new(TestServer::start(backend).await);
    let outcome = tokio::spawn(body(server.clone())).await;
    if let Ok(server) = Arc::try_unwrap(server) {
        server.stop().await;
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// One test per backend: `both_backends!(name, |server| async move { ... });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::run_on($crate::common::Backend::Sqlite, $body).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::common::run_on($crate::common::Backend::Postgres, $body).await;
            }
        }
    };
}
