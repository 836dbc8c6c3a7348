namespace Netlab.Labs.Ftp;

/// <summary>One thing a command needs before its handler runs; when it does not hold, its reply says why and the session goes on.</summary>
internal sealed record FtpNeed(Func<FtpSession, string, bool> Holds, FtpReply Otherwise);

/// <summary>One row of the table: a command (and its old X-names), its needs in the order they are checked, and its handler.</summary>
internal sealed record FtpCommandRule(string Verb, IReadOnlyList<FtpNeed> Needs, Func<FtpSession, string, CancellationToken, Task> Handler, params string[] Aliases)
{
    /// <summary>The reply of the first need that does not hold, or null when the handler may run.</summary>
    public FtpReply? Refusal(FtpSession session, string argument) =>
        Needs.FirstOrDefault(need => !need.Holds(session, argument))?.Otherwise;
}

/// <summary>
/// The server's control-connection state machine (RFC 959 sections 4.1 and 5.4, with EPRT/EPSV of
/// RFC 2428 and SIZE/MDTM of RFC 3659) as one table: which command is legal when, what it needs
/// (a login, a USER before PASS, a PORT or PASV before a transfer, an argument) and who handles it.
/// The session looks a verb up here, answers the first unmet need, else runs the handler.
/// </summary>
internal static class FtpStateTable
{
    public static IReadOnlyList<FtpCommandRule> Rules { get; } =
    [
        // Login and session (RFC 959 section 4.1.1); allowed before login, as vsftpd does.
        //  verb    needs, checked in this order        handler
        new("USER", [],                                 Reply((s, a) => s.User(a))),
        new("PASS", [UserFirst],                        (s, a, t) => s.PassAsync(a, t)),
        new("QUIT", [],                                 (s, _, t) => s.QuitAsync(t)),
        new("NOOP", [],                                 Reply((_, _) => new FtpReply(200, "NOOP ok."))),
        new("SYST", [],                                 Reply((_, _) => new FtpReply(215, "UNIX Type: L8"))),
        new("FEAT", [],                                 Reply((_, _) => new FtpReply(211, ["Features:", " EPRT", " EPSV", " MDTM", " PASV", " REST STREAM", " SIZE", " TVFS", " UTF8", "End"]))),
        new("HELP", [],                                 Reply((_, _) => Help())),
        new("OPTS", [],                                 Reply((_, a) => FtpSession.Opts(a))),
        // Parameters (RFC 959 section 4.1.2).
        new("TYPE", [LoggedIn, Argument],               Reply((s, a) => s.Type(a))),
        new("MODE", [LoggedIn, Argument],               Reply((_, a) => FtpSession.Choice(a, "S", ["B", "C"], "Mode"))),
        new("STRU", [LoggedIn, Argument],               Reply((_, a) => FtpSession.Choice(a, "F", ["R", "P"], "Structure"))),
        new("PORT", [LoggedIn, Argument],               Reply((s, a) => s.Port(a))),
        new("EPRT", [LoggedIn, Argument],               Reply((s, a) => s.Eprt(a))),
        new("PASV", [LoggedIn],                         Reply((s, a) => s.Passive(extended: false, a))),
        new("EPSV", [LoggedIn],                         Reply((s, a) => s.Passive(extended: true, a))),
        new("REST", [LoggedIn, Argument],               Reply((s, a) => s.Restart(a))),
        new("ALLO", [LoggedIn],                         Reply((_, _) => new FtpReply(202, "ALLO command ignored."))),
        // Files and folders (RFC 959 section 4.1.3, RFC 3659).
        new("PWD",  [LoggedIn],                         Reply((s, _) => s.PrintDirectory()), "XPWD"),
        new("CWD",  [LoggedIn, Argument],               Reply((s, a) => s.ChangeDirectory(a)), "XCWD"),
        new("CDUP", [LoggedIn],                         Reply((s, _) => s.ChangeDirectory("..")), "XCUP"),
        new("SIZE", [LoggedIn, Argument],               Reply((s, a) => s.Size(a))),
        new("MDTM", [LoggedIn, Argument],               Reply((s, a) => s.Modified(a))),
        new("DELE", [LoggedIn, Argument],               Reply((s, a) => s.Delete(a))),
        new("MKD",  [LoggedIn, Argument],               Reply((s, a) => s.MakeDirectory(a)), "XMKD"),
        new("RMD",  [LoggedIn, Argument],               Reply((s, a) => s.RemoveDirectory(a)), "XRMD"),
        // Transfers (RFC 959 sections 3.2 and 3.3): a data connection must be set up first.
        new("RETR", [LoggedIn, DataSetUp, Argument],    (s, a, t) => s.RetrieveAsync(a, t)),
        new("STOR", [LoggedIn, DataSetUp, Argument],    (s, a, t) => s.StoreAsync(a, t)),
        new("LIST", [LoggedIn, DataSetUp],              (s, a, t) => s.ListAsync(a, names: false, t)),
        new("NLST", [LoggedIn, DataSetUp],              (s, a, t) => s.ListAsync(a, names: true, t)),
        // ABOR with no transfer running; during one, the transfer itself hears it (RFC 959 section 4.1.3).
        new("ABOR", [LoggedIn],                         Reply((_, _) => new FtpReply(225, "No transfer to abort."))),
    ];

    /// <summary>Commands of RFC 959 and its extensions this server knows but does not do: 502, not 500 (RFC 959 section 4.2).</summary>
    public static IReadOnlySet<string> NotImplemented { get; } = new HashSet<string>
    {
        "ACCT", "SMNT", "REIN", "STOU", "APPE", "RNFR", "RNTO", "SITE", "STAT", "MLSD", "MLST", "AUTH", "PBSZ", "PROT", "CCC",
        "ADAT", "CONF", "ENC", "MIC", "LPRT", "LPSV", "LANG", "MFMT", "HOST",
    };

    private static readonly Dictionary<string, FtpCommandRule> ByVerb =
        Rules.SelectMany(r => r.Aliases.Prepend(r.Verb).Select(verb => (verb, r))).ToDictionary(p => p.verb, p => p.r);

    public static FtpCommandRule? Find(string verb) => ByVerb.GetValueOrDefault(verb);

    /// <summary>RFC 959 section 4.1.3 HELP: every verb the table knows, in lines of at most 95 characters.</summary>
    private static FtpReply Help() => new(214, [
        "The following commands are recognized.",
        .. Wrap(ByVerb.Keys.Order(StringComparer.Ordinal), 95),
        "Help OK."]);

    // ---- The needs (properties, not fields: the table above is built first) ----------------------

    private static FtpNeed LoggedIn => new((s, _) => s.LoggedIn, new FtpReply(530, "Please login with USER and PASS."));
    private static FtpNeed UserFirst => new((s, _) => s.LoggedIn || s.UserGiven, new FtpReply(503, "Login with USER first."));
    private static FtpNeed DataSetUp => new((s, _) => s.DataSetUp, new FtpReply(503, "Bad sequence of commands: use PORT or PASV first."));
    private static FtpNeed Argument => new((_, a) => a.Length > 0, new FtpReply(501, "Missing argument."));

    private static Func<FtpSession, string, CancellationToken, Task> Reply(Func<FtpSession, string, FtpReply> handler) =>
        (session, argument, token) => session.ReplyAsync(handler(session, argument), token);

    private static IEnumerable<string> Wrap(IEnumerable<string> words, int width)
    {
        var line = "";
        foreach (var word in words)
        {
            if (line.Length + 1 + word.Length > width)
            {
                yield return line;
                line = "";
            }
            line += " " + word;
        }
        if (line.Length > 0)
            yield return line;
    }
}
