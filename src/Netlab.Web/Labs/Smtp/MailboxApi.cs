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
        var api = app.MapGroup("/api/servers/{id:guid}").WithTags("SMTP mailbox");
        api.MapGet("/mailbox", (Guid id, ServerManager servers) =>
                TypedResults.Ok(servers.SmtpServer(id).Mailbox.List().Select(MailViews.Summary).Reverse().ToList()))
            .WithSummary("The messages an SMTP server accepted, newest first.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}", (Guid id, string messageId, ServerManager servers) =>
                TypedResults.Ok(MailViews.Detail(servers.SmtpServer(id).Mail(messageId))))
            .WithSummary("One message: envelope, headers, text and HTML bodies, and its MIME tree.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}/raw", (Guid id, string messageId, ServerManager servers) =>
            {
                var mail = servers.SmtpServer(id).Mail(messageId);
                return TypedResults.File(mail.Raw, "message/rfc822", $"{mail.Id}.eml");
            })
            .WithSummary("The message exactly as received (after dot-unstuffing), as an .eml file.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/mailbox/{messageId}/parts/{path}", PartAsync)
            .WithSummary("One MIME part, decoded (e.g. an attachment). Path as in the MIME tree: 1, 2, 1.2 ...")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/mailbox/{messageId}", (Guid id, string messageId, ServerManager servers) =>
                servers.SmtpServer(id).Mailbox.Delete(messageId) ? Results.NoContent() : throw ProblemException.NotFound("message", messageId))
            .WithSummary("Deletes one message.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/mailbox", (Guid id, ServerManager servers) =>
            {
                servers.SmtpServer(id).Mailbox.Clear();
                return TypedResults.NoContent();
            })
            .WithSummary("Empties the mailbox.");
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

    private static IResult PartAsync(Guid id, string messageId, string path, bool? download, ServerManager servers, HttpContext http)
    {
        var mail = servers.SmtpServer(id).Mail(messageId);
        var part = mail.Part(path);
        if (part.IsMultipart)
            throw ProblemException.BadRequest($"Part {path} is a {part.MediaType} container; open one of its parts.");
        // Mail is untrusted content: never let it run as this site. Images may show inline
        // (previews); everything else downloads, and a sandbox CSP covers both.
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        var inline = download != true && part.MediaType.StartsWith("image/", StringComparison.Ordinal) && part.MediaType != "image/svg+xml";
        var name = part.FileName ?? $"{mail.Id}-part-{path}{(part.MediaType.StartsWith("text/", StringComparison.Ordinal) ? ".txt" : ".bin")}";
        return inline
            ? TypedResults.File(part.DecodedBody(), part.MediaType)
            : TypedResults.File(part.DecodedBody(), part.MediaType, Path.GetFileName(name));
    }
}
