using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>The smtp lab as the portal offers it: its server, probes and own events.</summary>
public static class SmtpLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "smtp",
        "SMTP",
        "A mail client that speaks SMTP by hand (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, MIME with an image) and a mail server with a mailbox, session transcripts and fault injection.",
        "Handout 000, Assignment 3: SMTP (with its optional exercises: TLS, text and images)",
        new ServerKind("smtp", typeof(SmtpServerOptions),
            (options, context) => new SmtpServer((SmtpServerOptions)options, context)),
        [
            new ProbeKind("smtp-send", "Mail client", typeof(SmtpProbeOptions),
                (options, environment) => new SmtpClientProbe((SmtpProbeOptions)options, environment)),
            new ProbeKind("smtp-grade", "Server grader", typeof(SmtpServerGraderOptions),
                (options, environment) => new SmtpServerGrader((SmtpServerGraderOptions)options, environment)),
            new ProbeKind("smtp-client-grade", "Client grader", typeof(SmtpClientGraderOptions),
                (options, environment) => new SmtpClientGrader((SmtpClientGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<MailAccepted>("mailAccepted"),
            EventKind.Of<SmtpSessionClosed>("smtpSessionClosed"),
        ],
    };
}
