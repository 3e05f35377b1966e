//! Documents jobs, all reads: the documents of every context (capped
//! fan-out), one document's description and content, its versions, and
//! two versions' content for a diff.

use crate::aws::AwsError;
use crate::aws::documents::{self, Description, Document, Version};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// What the Documents pane's jobs report.
#[derive(Debug, Clone)]
pub enum DocumentsMsg {
    /// One context's documents.
    List {
        /// The load it belongs to.
        generation: u64,
        /// The context listed.
        ctx: ContextId,
        /// Its documents, by name.
        result: Result<Vec<Document>, AwsError>,
    },
    /// A document's description.
    Described {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// What was read.
        result: Result<Description, AwsError>,
    },
    /// A document's content.
    Content {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The version read (`None`: the default).
        version: Option<String>,
        /// The text.
        result: Result<String, AwsError>,
    },
    /// A document's versions.
    Versions {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// Newest first.
        result: Result<Vec<Version>, AwsError>,
    },
    /// Two versions' content.
    Diff {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The versions, older first.
        versions: (String, String),
        /// Their texts.
        result: Result<(String, String), AwsError>,
    },
}

/// Work of the Documents pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentsJob {
    /// ListDocuments in every context.
    List {
        /// Generation tag.
        generation: u64,
        /// The `Owner` filter (`None`: any).
        owner: Option<String>,
    },
    /// DescribeDocument.
    Describe {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
    },
    /// GetDocument.
    Content {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The version (`None`: the default).
        version: Option<String>,
        /// YAML rather than JSON.
        yaml: bool,
        /// A TEXT document (a change calendar).
        text: bool,
    },
    /// ListDocumentVersions.
    Versions {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
    },
    /// GetDocument of two versions.
    Diff {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The versions, older first.
        versions: (String, String),
        /// YAML rather than JSON.
        yaml: bool,
        /// A TEXT document.
        text: bool,
    },
}

impl Job for DocumentsJob {
    type Msg = DocumentsMsg;

    fn slot(&self) -> Option<String> {
        Some(
            match self {
                DocumentsJob::List { .. } => "doc-list",
                DocumentsJob::Describe { .. } => "doc-describe",
                DocumentsJob::Content { .. } => "doc-content",
                DocumentsJob::Versions { .. } => "doc-versions",
                DocumentsJob::Diff { .. } => "doc-diff",
            }
            .into(),
        )
    }

    fn mutation(&self) -> Option<Mutation> {
        None
    }

    async fn run(self, env: JobEnv<DocumentsMsg>) -> Option<DocumentsMsg> {
        let env = &env;
        Some(match self {
            DocumentsJob::List { generation, owner } => {
                let owner = owner.as_deref();
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = documents::list(aws, None, owner).await;
                        env.send(DocumentsMsg::List {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                return None;
            }
            DocumentsJob::Describe { ctx, name } => {
                let result = documents::describe(env.contexts.get(ctx), &name).await;
                DocumentsMsg::Described { ctx, name, result }
            }
            DocumentsJob::Content {
                ctx,
                name,
                version,
                yaml,
                text,
            } => {
                let aws = env.contexts.get(ctx);
                let result = documents::content(aws, &name, version.as_deref(), yaml, text).await;
                DocumentsMsg::Content {
                    ctx,
                    name,
                    version,
                    result,
                }
            }
            DocumentsJob::Versions { ctx, name } => {
                let aws = env.contexts.get(ctx);
                // An endpoint without ListDocumentVersions: the versions
                // DescribeDocument counts.
                let result = match documents::versions(aws, &name).await {
                    Err(e) if e.kind == crate::aws::ErrorKind::Unsupported => {
                        documents::versions_from_description(aws, &name).await
                    }
                    r => r,
                };
                DocumentsMsg::Versions { ctx, name, result }
            }
            DocumentsJob::Diff {
                ctx,
                name,
                versions,
                yaml,
                text,
            } => {
                let aws = env.contexts.get(ctx);
                let a = documents::content(aws, &name, Some(&versions.0), yaml, text).await;
                let result = match a {
                    Ok(a) => documents::content(aws, &name, Some(&versions.1), yaml, text)
                        .await
                        .map(|b| (a, b)),
                    Err(e) => Err(e),
                };
                DocumentsMsg::Diff {
                    ctx,
                    name,
                    versions,
                    result,
                }
            }
        })
    }

    fn outcomes(_msg: &DocumentsMsg) -> Vec<Outcome> {
        Vec::new()
    }
}
