//! After a mutation, over HTTP or a websocket, the response cache applies the changes it
//! recorded before the mutation answers: its author never reads the old answer.

use crate::response_cache::ResponseCache;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerResult, Variables};
use silo_storage::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct CatchUpAfterWrites;

impl ExtensionFactory for CatchUpAfterWrites {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Request::default())
    }
}

/// One request: whether its document holds a mutation.
#[derive(Default)]
struct Request {
    writes: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Request {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let writes = document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation);
        self.writes.store(writes, Ordering::Relaxed);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.writes.load(Ordering::Relaxed)
            && let (Some(cache), Some(store)) = (
                ctx.data_opt::<Arc<ResponseCache>>(),
                ctx.data_opt::<Store>(),
            )
            && let Err(e) = cache.catch_up(store).await
        {
            tracing::warn!(error = %e, "response cache: catching up after a mutation failed");
        }
        response
    }
}
