namespace Netlab.Labs.Smtp;

/// <summary>A command line as the server reads it: the verb (upper case) and the rest.</summary>
public sealed record SmtpCommand(string Verb, string Argument)
{
    /// <summary>RFC 5321 section 4.5.3.1.4: a command line is at most 512 octets with its CRLF.</summary>
    public const int MaxLine = 510;

    /// <summary>RFC 5321 section 4.5.3.1.6: a text line is at most 1000 octets with its CRLF.</summary>
    public const int MaxTextLine = 998;

    public static SmtpCommand Parse(string line)
    {
        var trimmed = line.TrimEnd(' ', '\t');
        var space = trimmed.IndexOf(' ');
        return space < 0
            ? new SmtpCommand(trimmed.ToUpperInvariant(), "")
            : new SmtpCommand(trimmed[..space].ToUpperInvariant(), trimmed[(space + 1)..].Trim(' '));
    }
}

/// <summary>
/// The argument of MAIL FROM and RCPT TO (RFC 5321 section 4.1.2): a path in angle brackets,
/// then ESMTP parameters such as SIZE=1234 (RFC 1870) or BODY=8BITMIME (RFC 6152).
/// </summary>
public sealed record SmtpPath(string Address, IReadOnlyDictionary<string, string?> Parameters, bool Bracketed)
{
    /// <summary>RFC 5321 section 4.5.3.1.3: a path is at most 256 octets.</summary>
    public const int MaxPath = 256;

    /// <summary>
    /// Parses "FROM:&lt;a@b&gt; SIZE=10" for keyword FROM. Accepts what lenient servers accept (a space
    /// after the colon, no brackets) but reports it in <see cref="Bracketed"/> so the session can warn.
    /// Null with an error message when it cannot be read.
    /// </summary>
    public static SmtpPath? Parse(string argument, string keyword, bool allowEmpty, out string? error)
    {
        error = null;
        if (!argument.StartsWith(keyword + ":", StringComparison.OrdinalIgnoreCase))
        {
            error = $"Syntax: {(keyword == "FROM" ? "MAIL FROM" : "RCPT TO")}:<address>";
            return null;
        }
        var rest = argument[(keyword.Length + 1)..].TrimStart(' ');
        string path;
        var bracketed = rest.StartsWith('<');
        if (bracketed)
        {
            var close = rest.IndexOf('>');
            if (close < 0)
            {
                error = "Missing '>' after the address";
                return null;
            }
            path = rest[1..close];
            rest = rest[(close + 1)..];
        }
        else
        {
            var space = rest.IndexOf(' ');
            path = space < 0 ? rest : rest[..space];
            rest = space < 0 ? "" : rest[space..];
        }
        if (path.Length > MaxPath)
        {
            error = $"Address longer than {MaxPath} characters";
            return null;
        }
        // A source route (RFC 5321 section 4.1.2, "@a,@b:user@c") is obsolete: keep the mailbox.
        var colon = path.IndexOf(':');
        if (path.StartsWith('@') && colon > 0)
            path = path[(colon + 1)..];
        if (path.Length == 0 ? !allowEmpty : !IsMailbox(path))
        {
            error = path.Length == 0 ? "An empty address is only allowed as the sender (MAIL FROM:<>)" : $"'{path}' is not a mailbox (local-part@domain)";
            return null;
        }
        if (rest.Length > 0 && rest[0] != ' ')
        {
            error = "Expected a space before the parameters";
            return null;
        }
        var parameters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var token in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = token.IndexOf('=');
            var name = eq < 0 ? token : token[..eq];
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                error = $"Bad parameter '{token}'";
                return null;
            }
            parameters[name] = eq < 0 ? null : token[(eq + 1)..];
        }
        return new SmtpPath(path, parameters, bracketed);
    }

    /// <summary>
    /// local-part@domain with visible ASCII (or UTF-8) and no spaces or brackets; "postmaster"
    /// alone is a valid recipient (RFC 5321 section 4.1.1.3).
    /// </summary>
    public static bool IsMailbox(string address)
    {
        if (string.Equals(address, "postmaster", StringComparison.OrdinalIgnoreCase))
            return true;
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
            return false;
        foreach (var c in address)
            if (c <= ' ' || c == 0x7f || c is '<' or '>' or ',' or ';')
                return false;
        var domain = address[(at + 1)..];
        if (domain.StartsWith('[') && domain.EndsWith(']'))
            return true; // an address literal, e.g. [127.0.0.1]
        return domain.Split('.').All(label => label.Length is > 0 and <= 63 && !label.StartsWith('-') && !label.EndsWith('-'));
    }
}
