//! Each message's event reaches the state thread as the message is read,
//! in the order the client sent them, however many requests wait for
//! their replies.
//!
//! tower-lsp-server reads a message, makes its handler's future, and polls
//! up to its concurrency level of such futures at once. A handler sends its
//! event to the state thread ([`super::backend`]) when first polled, and a
//! request's handler then waits for the reply. With one future at a time,
//! a request the state thread put off (a code action asked for by hand
//! waits for its file's history) held up every message after it, including
//! `$/cancelRequest`'s effect; with several, the order in which handlers
//! are first polled would be the transport's to decide (tower-lsp's issue
//! #284: two `didChange` handlers interleaving). [`InOrder`] polls each
//! handler's future once as it is made, while the message is read, so that
//! its event is sent before the next message is read; what is left of it
//! (a request's wait for its reply) runs beside the others.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tower_lsp_server::jsonrpc::{Request, Response};
use tower_service::Service;

/// A service whose handlers begin as their messages are read.
pub struct InOrder<S>(pub S);

type Reply<E> = Pin<Box<dyn Future<Output = Result<Option<Response>, E>> + Send>>;

impl<S> Service<Request> for InOrder<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Reply<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // A request (not a notification) of the protocol's `$/` namespace
        // the server does not know must be answered MethodNotFound (LSP
        // 3.17); tower-lsp-server drops that answer, as for a `$/`
        // notification. The server knows no such request.
        if let Some(id) = request.id().filter(|_| request.method().starts_with("$/")) {
            let error = tower_lsp_server::jsonrpc::Error::method_not_found();
            return Box::pin(std::future::ready(Ok(Some(Response::from_error(id.clone(), error)))));
        }
        let mut reply: Reply<S::Error> = Box::pin(self.0.call(request));
        // Polled again by the transport with its own waker: a future
        // registers the waker of each poll.
        match reply.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(done) => Box::pin(std::future::ready(done)),
            Poll::Pending => reply,
        }
    }
}
