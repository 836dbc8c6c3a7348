using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Web.Labs.Smtp;

public sealed class SmtpModule : ILabModule
{
    public LabDefinition Definition => SmtpLab.Definition;

    public string Icon => Icons.Material.Filled.Mail;

    public Type? ServerView => typeof(SmtpSessions);

    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapMailboxApi();

    // swaks is what students compare their client's dialogue with.
    public string TranscriptStyle => "swaks";

    public string? Describe(LabEvent e) => e switch
    {
        MailAccepted m => $"{m.Session} accepted {m.MessageId} from <{m.From}> to {string.Join(", ", m.To.Select(t => $"<{t}>"))}: \"{m.Subject}\" ({m.Size} bytes)",
        SmtpSessionClosed s => $"{s.Session} {s.Client} closed: {s.Outcome}, {s.Messages} message(s){(s.Tls ? ", TLS" : "")}{(s.User is null ? "" : $", user {s.User}")}{(s.Warnings.Count > 0 ? $", {s.Warnings.Count} warning(s)" : "")}",
        _ => null,
    };

    public string? ResultLine(Netlab.Web.Runs.RunDto run) => run.Value("delivered") switch
    {
        1 => $"delivered ({RunSummary.Number(run.Value("replyCode"))}){(run.Value("tls") == 1 ? " over TLS" : "")}",
        0 => $"not delivered ({RunSummary.Number(run.Value("replyCode"))})",
        _ => null,
    };

    public string? CssClass(LabEvent e) => e switch
    {
        MailAccepted => "echoed",
        SmtpSessionClosed { Warnings.Count: > 0 } => "warning",
        _ => null,
    };
}
