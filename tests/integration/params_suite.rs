//! One Parameter Store suite, run against the lab and against moto: the
//! console's own calls (src/aws/params.rs) must behave the same on both.

use crate::common;

use ssmdeck::aws::AwsContext;
use ssmdeck::aws::params::{self, PutError, PutRequest};
use ssmdeck::model::ParamKind;
use ssmdeck_lab::Faults;

fn unique_prefix(backend: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("/deck-test/{backend}-{}-{nanos}", std::process::id())
}

fn create(name: &str, value: &str, kind: ParamKind) -> PutRequest {
    PutRequest {
        name: name.into(),
        value: value.into(),
        kind,
        tier: None,
        description: Some(format!("test {name}")),
        key_id: None,
        data_type: None,
        tags: Vec::new(),
        expected_version: None,
    }
}

/// `aws_limits`: also check the 4 KB Standard-tier value limit, which AWS
/// and the lab enforce and moto 5.2.5 does not.
async fn suite(ctx: &AwsContext, prefix: &str, aws_limits: bool) {
    let url = format!("{prefix}/api/db/url");
    // Create, read, refuse a blind create over it.
    assert_eq!(
        params::put(ctx, &create(&url, "postgres://a", ParamKind::String)).await,
        Ok(1)
    );
    let v = params::get_value(ctx, &url, false).await.unwrap();
    assert_eq!((v.value.as_str(), v.version), ("postgres://a", 1));
    match params::put(ctx, &create(&url, "postgres://b", ParamKind::String)).await {
        Err(PutError::Aws(e)) => assert_eq!(e.code.as_deref(), Some("ParameterAlreadyExists")),
        other => panic!("blind create over an existing name: {other:?}"),
    }

    // Guarded overwrite: succeeds at the expected version, refused when stale.
    let mut edit = create(&url, "postgres://b", ParamKind::String);
    edit.expected_version = Some(1);
    assert_eq!(params::put(ctx, &edit).await, Ok(2));
    let mut stale = create(&url, "postgres://mine", ParamKind::String);
    stale.expected_version = Some(1);
    match params::put(ctx, &stale).await {
        Err(PutError::Conflict(theirs)) => {
            assert_eq!(theirs.version, 2);
            assert_eq!(theirs.value, "postgres://b");
        }
        other => panic!("stale write must be refused: {other:?}"),
    }
    assert_eq!(
        params::get_value(ctx, &url, false).await.unwrap().value,
        "postgres://b"
    );

    // History and labels; selectors.
    let mut third = create(&url, "postgres://c", ParamKind::String);
    third.expected_version = Some(2);
    assert_eq!(params::put(ctx, &third).await, Ok(3));
    let h = params::history(ctx, &url, false).await.unwrap();
    assert_eq!(
        h.iter()
            .map(|v| (v.version, v.value.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, "postgres://a"),
            (2, "postgres://b"),
            (3, "postgres://c")
        ]
    );
    let invalid = params::label(ctx, &url, 1, vec!["stable".into()])
        .await
        .unwrap();
    assert!(invalid.is_empty(), "{invalid:?}");
    let by_label = params::get_value(ctx, &format!("{url}:stable"), false)
        .await
        .unwrap();
    assert_eq!(
        (by_label.version, by_label.value.as_str()),
        (1, "postgres://a")
    );
    let by_version = params::get_value(ctx, &format!("{url}:2"), false)
        .await
        .unwrap();
    assert_eq!(by_version.value, "postgres://b");
    // Moving the label to version 3.
    params::label(ctx, &url, 3, vec!["stable".into()])
        .await
        .unwrap();
    let h = params::history(ctx, &url, false).await.unwrap();
    assert!(
        h[0].labels.is_empty() && h[2].labels == vec!["stable".to_string()],
        "{h:?}"
    );
    let removed = params::unlabel(ctx, &url, 3, vec!["stable".into()])
        .await
        .unwrap();
    assert_eq!(removed, vec!["stable".to_string()]);
    let ten: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    assert!(params::label(ctx, &url, 3, ten).await.unwrap().is_empty());
    let e = params::label(ctx, &url, 3, vec!["eleventh".into()])
        .await
        .unwrap_err();
    assert_eq!(
        e.code.as_deref(),
        Some("ParameterVersionLabelLimitExceeded"),
        "{e:?}"
    );

    // SecureString: masked unless decrypted.
    let secret = format!("{prefix}/api/db/password");
    params::put(
        ctx,
        &create(&secret, "hunter2-s3cret", ParamKind::SecureString),
    )
    .await
    .unwrap();
    let enc = params::get_value(ctx, &secret, false).await.unwrap();
    assert_eq!(enc.kind, ParamKind::SecureString);
    assert_ne!(
        enc.value, "hunter2-s3cret",
        "no clear text without WithDecryption"
    );
    assert!(!format!("{enc:?}").contains("hunter2"), "Debug redacts");
    let dec = params::get_value(ctx, &secret, true).await.unwrap();
    assert_eq!(dec.value, "hunter2-s3cret");

    // One level of the hierarchy: direct children only.
    params::put(
        ctx,
        &create(
            &format!("{prefix}/api/log_level"),
            "info",
            ParamKind::String,
        ),
    )
    .await
    .unwrap();
    let (level, _) = params::list_level(ctx, &format!("{prefix}/api/db"))
        .await
        .unwrap();
    let mut names: Vec<_> = level.iter().map(|m| m.name.clone()).collect();
    names.sort();
    assert_eq!(names, vec![secret.clone(), url.clone()]);
    let (level, _) = params::list_level(ctx, &format!("{prefix}/api"))
        .await
        .unwrap();
    assert_eq!(
        level.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        vec![format!("{prefix}/api/log_level").as_str()]
    );

    // Values are read 10 names a call, and more than 10 all arrive.
    let mut many = Vec::new();
    for i in 0..12 {
        let n = format!("{prefix}/many/p{i:02}");
        params::put(ctx, &create(&n, &format!("v{i}"), ParamKind::String))
            .await
            .unwrap();
        many.push(n);
    }
    let mut vals = params::get_values(ctx, &many, false).await.unwrap();
    vals.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(vals.len(), 12);
    assert_eq!(vals[11].value, "v11");

    // The partitioned index finds every parameter once.
    let seen = std::sync::Mutex::new(Vec::new());
    params::index_all(ctx, |metas| {
        seen.lock()
            .unwrap()
            .extend(metas.into_iter().map(|m| m.name))
    })
    .await
    .unwrap();
    let seen = seen.into_inner().unwrap();
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no parameter indexed twice");
    for n in many.iter().chain([&url, &secret]) {
        assert!(unique.binary_search(n).is_ok(), "{n} indexed");
    }

    // Size limits: 4 KB standard, advanced above.
    let big = "x".repeat(4_097);
    if aws_limits {
        let e = params::put(
            ctx,
            &create(&format!("{prefix}/big"), &big, ParamKind::String),
        )
        .await
        .unwrap_err();
        match e {
            PutError::Aws(e) => {
                assert_eq!(e.code.as_deref(), Some("ValidationException"), "{e:?}")
            }
            other => panic!("{other:?}"),
        }
    }
    let mut adv = create(&format!("{prefix}/big"), &big, ParamKind::String);
    adv.tier = Some("Advanced".into());
    assert_eq!(params::put(ctx, &adv).await, Ok(1));

    // Delete.
    params::delete(ctx, &url).await.unwrap();
    let e = params::get_value(ctx, &url, false).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ParameterNotFound"));
}

#[tokio::test]
async fn parameter_store_suite_against_the_lab() {
    let lab = common::lab(5, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    suite(&ctx, &unique_prefix("lab"), true).await;
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn parameter_store_suite_against_moto() {
    let url = std::env::var("SSMDECK_MOTO_URL")
        .expect("SSMDECK_MOTO_URL must name a running moto server: run scripts/test");
    let (ctx, _) = common::context_with(ssmdeck::aws::ConnectOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url),
        static_credentials: Some(("testing".into(), "testing".into())),
        max_attempts: 2,
        timeouts: Default::default(),
        role_arn: None,
        ..Default::default()
    })
    .await;
    suite(&ctx, &unique_prefix("moto"), false).await;
}

#[tokio::test]
async fn the_index_covers_a_seeded_account_exactly() {
    let lab = common::lab(5, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let seen = std::sync::Mutex::new(Vec::new());
    let calls = params::index_all(&ctx, |metas| {
        seen.lock()
            .unwrap()
            .extend(metas.into_iter().map(|m| m.name))
    })
    .await
    .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    let mut want: Vec<String> = ssmdeck_lab::FleetSpec::demo()
        .parameters()
        .into_iter()
        .map(|p| p.name)
        .collect();
    want.sort();
    assert_eq!(seen, want);
    // 65 partitions, of which 3 hold the seeded names (d, p, s).
    assert!(calls >= 65, "{calls}");
}

#[tokio::test]
async fn seeded_tree_lists_by_level() {
    let lab = common::lab(5, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let (level, calls) = params::list_level(&ctx, "/prod/web").await.unwrap();
    assert_eq!(calls, 1);
    let names: Vec<_> = level.iter().map(|m| m.name.as_str()).collect();
    assert!(names.contains(&"/prod/web/log_level"), "{names:?}");
    assert!(
        names.iter().all(|n| n.matches('/').count() == 3),
        "{names:?}"
    );
}
