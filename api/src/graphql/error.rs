//! Every GraphQL error carries `extensions.code`: domain errors map through one table
//! (`DomainError::code`), and the errors async-graphql raises itself get theirs here.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensionValues, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use silo_domain::DomainError;
use std::sync::Arc;

/// Converts a domain error for GraphQL: code, and field path for validation errors.
/// Internal causes are logged and replaced by a generic message.
pub fn gql(e: DomainError) -> async_graphql::Error {
    let mut err = match &e {
        DomainError::Internal(cause) => {
            tracing::error!(%cause, "internal error");
            async_graphql::Error::new("internal error")
        }
        _ => async_graphql::Error::new(e.to_string()),
    };
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", e.code());
    if let DomainError::Validation(fields) = &e {
        if let Some(first) = fields.first() {
            ext.set("field", first.field.clone());
        }
        ext.set(
            "fields",
            async_graphql::Value::List(
                fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(async_graphql::Name::new("field"), f.field.clone().into());
                        m.insert(async_graphql::Name::new("reason"), f.reason.clone().into());
                        async_graphql::Value::Object(m)
                    })
                    .collect(),
            ),
        );
    }
    err.extensions = Some(ext);
    err
}

/// A bad argument, with its field path.
pub fn bad_input(field: &str, reason: impl Into<String>) -> async_graphql::Error {
    gql(DomainError::invalid(field, reason))
}

/// Apollo's codes for documents that do not parse or do not validate (depth and
/// complexity limits included), and `BAD_USER_INPUT` for argument values async-graphql
/// refuses while executing (a malformed `DateTime`, a wrong enum value).
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

fn with_code(mut e: ServerError, code: &str) -> ServerError {
    let ext = e.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| with_code(e, "BAD_USER_INPUT"))
            .collect();
        response
    }
}
