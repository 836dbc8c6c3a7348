using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;
using Netlab.Web.Hosting;
using Netlab.Web.Servers;

namespace Netlab.Web.Labs.Smtp;

/// <summary>An SMTP server's mailbox (what it accepted) and its fault injection.</summary>
public static class MailboxApi
{
    public static RouteGroupBuilder MapMailboxApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapServerGroup("SMTP mailbox");
        // The mailbox is read through MailViews.Mailbox: the running server's, or the files it left
        // in its storage directory once stopped.
        api.MapGet("/mailbox", (Guid id, string? q, ServerManager servers) => TypedResults.Ok(MailViews.List(servers.Mailbox(id), q)))
            .WithSummary("The messages an SMTP server accepted, newest first; q= keeps those whose subject, from, to or body text contain it (ignoring case).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}", (Guid id, string messageId, ServerManager servers) =>
            {
                var (mail, raw) = servers.Mailbox(id).Open(messageId);
                return TypedResults.Ok(MailViews.Detail(mail, ReceivedMail.Parse(raw)));
            })
            .WithSummary("One message: envelope, headers, text and HTML bodies, and its MIME tree.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}/raw", (Guid id, string messageId, ServerManager servers) =>
            {
                var (mail, raw) = servers.Mailbox(id).Open(messageId);
                return TypedResults.File(raw, "message/rfc822", $"{mail.Id}.eml");
            })
            .WithSummary("The message exactly as received (after dot-unstuffing), as an .eml file.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}/html", Html)
            .WithSummary("The HTML body as a closed document: sandboxed, nothing fetched from any host, cid: images inlined.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}/parts/{path}", Part)
            .WithSummary("One MIME part, decoded (e.g. an attachment). Path as in the MIME tree: 1, 2, 1.2 ...")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/mailbox/{messageId}", (Guid id, string messageId, ServerManager servers) =>
                servers.Mailbox(id).Delete(messageId) ? Results.NoContent() : throw ProblemException.NotFound("message", messageId))
            .WithSummary("Deletes one message.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/mailbox", (Guid id, ServerManager servers) =>
            {
                servers.Mailbox(id).Clear();
                return TypedResults.NoContent();
            })
            .WithSummary("Empties the mailbox (its files are removed).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/faults", (Guid id, ServerManager servers) => TypedResults.Ok(servers.SmtpServer(id).Fault))
            .WithSummary("The fault the SMTP server injects (stage None = off).");
        api.MapPut("/faults", (Guid id, [FromBody] SmtpFault fault, ServerManager servers) =>
            {
                var errors = OptionField.Validate(fault);
                if (errors.Count > 0)
                    throw ProblemException.Invalid(errors);
                servers.SmtpServer(id).Fault = fault;
                return TypedResults.Ok(fault);
            })
            .WithSummary("Makes a stage (Connect, Helo, Mail, Rcpt, Data, Message) answer a code, always or with a probability; stage None turns it off.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static IResult Html(Guid id, string messageId, ServerManager servers, HttpContext http)
    {
        var (_, raw) = servers.Mailbox(id).Open(messageId);
        var document = MailHtml.Document(ReceivedMail.Parse(raw)) ?? throw ProblemException.NotFound("HTML body in message", messageId);
        http.Response.Headers.ContentSecurityPolicy = MailHtml.HeaderPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Content(document, "text/html; charset=utf-8");
    }

    private static IResult Part(Guid id, string messageId, string path, bool? download, ServerManager servers, HttpContext http)
    {
        var (mail, raw) = servers.Mailbox(id).Open(messageId);
        var part = ReceivedMail.Parse(raw).Part(path, messageId);
        if (part.IsMultipart)
            throw ProblemException.BadRequest($"Part {path} is a {part.MediaType} container; open one of its parts.");
        // Mail is untrusted content: never let it run as this site. Images may show inline
        // (previews); everything else downloads, and a sandbox CSP covers both.
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        var inline = download != true && part.MediaType.StartsWith("image/", StringComparison.Ordinal) && part.MediaType != "image/svg+xml";
        var name = part.FileName ?? $"{mail.Id}-part-{path}{(part.MediaType.StartsWith("text/", StringComparison.Ordinal) ? ".txt" : ".bin")}";
        var content = ReceivedMail.Content(part) ?? [];
        return inline
            ? TypedResults.File(content, part.MediaType)
            : TypedResults.File(content, part.MediaType, Path.GetFileName(name));
    }
}
