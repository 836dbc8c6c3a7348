namespace Netlab.Labs.Smtp;

/// <summary>Where a session is in the command sequence of RFC 5321 section 4.1.4.</summary>
[Flags]
internal enum SmtpState
{
    /// <summary>Greeted, not yet introduced (again so after STARTTLS, RFC 3207 section 4.2).</summary>
    Initial = 1,
    /// <summary>After EHLO/HELO: a mail transaction may start.</summary>
    Ready = 2,
    /// <summary>MAIL accepted, no recipient yet.</summary>
    Mail = 4,
    /// <summary>At least one RCPT accepted: DATA may follow.</summary>
    Rcpt = 8,
}

/// <summary>
/// One thing a command needs before its handler runs; when it does not hold, the reply says why
/// (503 bad sequence, 530/538 policy, 501 syntax, 502 not offered) and the session goes on.
/// </summary>
internal sealed record SmtpNeed(Func<SmtpSession, SmtpCommand, bool> Holds, Func<SmtpCommandRule, SmtpReply> Otherwise)
{
    /// <summary>A need answered with 502 is a command this server does not offer now: HELP leaves it out.</summary>
    public bool IsOffer(SmtpCommandRule rule) => Otherwise(rule).Code == 502;
}

/// <summary>One row of the table: a command, its usage (HELP and 501), its needs in the order they are checked, and its handler.</summary>
internal sealed record SmtpCommandRule(string Verb, string Usage, IReadOnlyList<SmtpNeed> Needs, Func<SmtpSession, SmtpCommand, Task> Handler)
{
    /// <summary>The reply of the first need that does not hold, or null when the handler may run.</summary>
    public SmtpReply? Refusal(SmtpSession session, SmtpCommand command) =>
        Needs.FirstOrDefault(need => !need.Holds(session, command))?.Otherwise(this);

    public bool Offered(SmtpSession session, SmtpCommand command) =>
        Needs.All(need => !need.IsOffer(this) || need.Holds(session, command));
}

/// <summary>
/// The server's command state machine of RFC 5321 (sections 4.1.1 and 4.1.4), STARTTLS (RFC 3207)
/// and AUTH (RFC 4954) as one table: which command is legal when, what it needs, who handles it.
/// The session looks a verb up here, answers the first unmet need, else runs the handler.
/// </summary>
internal static class SmtpStateTable
{
    private const SmtpState Any = SmtpState.Initial | SmtpState.Ready | SmtpState.Mail | SmtpState.Rcpt;
    private const SmtpState Introduced = SmtpState.Ready | SmtpState.Mail | SmtpState.Rcpt;
    private const SmtpState Transaction = SmtpState.Mail | SmtpState.Rcpt;

    // The order of the rows is the order HELP lists them in.
    public static IReadOnlyList<SmtpCommandRule> Rules { get; } =
    [
        //  verb        usage (HELP, 501)            needs, checked in this order                                                   handler
        new("EHLO",     "EHLO hostname",             [OneWord],                                                                     (s, c) => s.HeloAsync(c, extended: true)),
        new("HELO",     "HELO hostname",             [OneWord],                                                                     (s, c) => s.HeloAsync(c, extended: false)),
        new("MAIL",     "MAIL FROM:<address>",       [In(Introduced, "send HELO/EHLO first"), NotIn(Transaction, "nested MAIL command"), TlsIfRequired, AuthIfRequired], (s, c) => s.MailAsync(c)),
        new("RCPT",     "RCPT TO:<address>",         [In(Transaction, "need MAIL command")],                                        (s, c) => s.RcptAsync(c)),
        new("DATA",     "DATA (no parameters)",      [NoArgument, In(Transaction, "need MAIL command"), Recipients],                (s, c) => s.DataAsync()),
        new("RSET",     "RSET (no parameters)",      [NoArgument],                                                                  (s, _) => s.RsetAsync()),
        new("NOOP",     "NOOP",                      [],                                                                            (s, _) => s.SendAsync(SmtpReply.Of(250, "2.0.0 Ok"))),
        new("VRFY",     "VRFY address",              [Argument],                                                                    (s, _) => s.SendAsync(SmtpReply.Of(252, "2.0.0 Cannot VRFY user, but will accept message and attempt delivery"))),
        new("HELP",     "HELP",                      [],                                                                            (s, c) => s.SendAsync(Help(s, c))),
        new("QUIT",     "QUIT",                      [],                                                                            (s, _) => s.QuitAsync()),
        new("STARTTLS", "STARTTLS (no parameters)",  [TlsOffered, NoArgument, Plaintext, In(Introduced, "send EHLO first")],       (s, _) => s.StartTlsAsync()),
        new("AUTH",     "AUTH mechanism",            [Ehlo, Anonymous, NotIn(Transaction, "AUTH is not allowed during a mail transaction"), AuthOffered, Argument], (s, c) => s.AuthAsync(c)),
    ];

    /// <summary>Known commands this server does not do: 502, not 500 (RFC 5321 section 4.2.4).</summary>
    public static IReadOnlySet<string> NotImplemented { get; } = new HashSet<string> { "EXPN", "BDAT", "ETRN", "TURN", "SEND", "SOML", "SAML", "ATRN" };

    private static readonly Dictionary<string, SmtpCommandRule> ByVerb = Rules.ToDictionary(r => r.Verb);

    public static SmtpCommandRule? Find(string verb) => ByVerb.GetValueOrDefault(verb);

    // ---- The needs (properties, not fields: the table above is built first) ------------------------------------------------------------------------------

    private static SmtpNeed Need(Func<SmtpSession, SmtpCommand, bool> holds, int code, string text) =>
        new(holds, _ => SmtpReply.Of(code, text));

    private static SmtpNeed Syntax(Func<string, bool> valid) =>
        new((_, c) => valid(c.Argument), rule => SmtpReply.Of(501, $"5.5.4 Syntax: {rule.Usage}"));

    private static SmtpNeed In(SmtpState states, string otherwise) => Need((s, _) => (s.State & states) != 0, 503, $"5.5.1 Error: {otherwise}");

    private static SmtpNeed NotIn(SmtpState states, string otherwise) => In(Any & ~states, otherwise);

    private static SmtpNeed OneWord => Syntax(a => a.Length > 0 && !a.Contains(' '));
    private static SmtpNeed Argument => Syntax(a => a.Length > 0);
    private static SmtpNeed NoArgument => Syntax(a => a.Length == 0);

    // RFC 5321 section 3.3: DATA with no accepted recipient.
    private static SmtpNeed Recipients => Need((s, _) => s.State != SmtpState.Mail, 554, "5.5.1 Error: no valid recipients");
    private static SmtpNeed TlsIfRequired => Need((s, _) => s.Tls || !s.Options.RequireTls, 530, "5.7.0 Must issue a STARTTLS command first");
    private static SmtpNeed AuthIfRequired => Need((s, _) => s.User is not null || !s.Options.RequireAuth, 530, "5.7.0 Authentication required");
    private static SmtpNeed TlsOffered => Need((s, _) => s.StartTlsOffered, 502, "5.5.1 Error: STARTTLS is not offered by this server");
    private static SmtpNeed Plaintext => Need((s, _) => !s.Tls, 503, "5.5.1 Error: TLS already active");
    // RFC 4954 section 4: AUTH is an ESMTP extension, so it needs EHLO (not HELO), once per session, outside a transaction.
    private static SmtpNeed Ehlo => Need((s, _) => s.State != SmtpState.Initial && s.Esmtp, 503, "5.5.1 Error: send EHLO first");
    private static SmtpNeed Anonymous => Need((s, _) => s.User is null, 503, "5.5.1 Error: already authenticated");
    // RFC 4954 section 4: 538 when the mechanism is only offered over TLS.
    private static SmtpNeed AuthOffered => Need((s, _) => s.AuthOffered, 538, "5.7.11 Encryption required for requested authentication mechanism");

    /// <summary>RFC 5321 section 4.1.1.8: the commands offered now (any argument is ignored).</summary>
    private static SmtpReply Help(SmtpSession session, SmtpCommand command) => SmtpReply.Of(214,
        "2.0.0 Commands: " + string.Join(' ', Rules.Where(r => r.Offered(session, command)).Select(r => r.Verb)),
        "2.0.0 End of HELP info");
}
