using System.Text;
using System.Text.RegularExpressions;
using Netlab.Labs.Smtp;

namespace Netlab.Web.Labs.Smtp;

/// <summary>
/// The HTML body of a received message made safe to look at. Mail is hostile: a remote image is a
/// tracking beacon (opening the mail told http://127.0.0.1:9/x.png it was read), a script or a form
/// is worse. The document is served with a CSP that fetches nothing but data: URLs and runs nothing,
/// in a sandbox (an opaque origin, no scripts, no forms); "cid:" images (RFC 2392) are replaced by
/// data: URLs of the message's own parts so they still show.
/// </summary>
public static partial class MailHtml
{
    /// <summary>The policy: nothing from anywhere, but images and fonts inlined as data: URLs and inline styles.</summary>
    public const string Policy = "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    /// <summary>As an HTTP header: with "sandbox", which a meta tag cannot carry (CSP Level 3, section 6.3.1).</summary>
    public const string HeaderPolicy = "sandbox; " + Policy;

    /// <summary>Images larger than this stay "cid:" (and blocked) rather than bloat the document.</summary>
    private const int MaxInlineImage = 5 * 1024 * 1024;

    /// <summary>True when the HTML would load something from another host: an image, a style sheet, a frame, a CSS url() or @import.</summary>
    public static bool HasRemoteContent(string html) => RemoteReference().IsMatch(html);

    /// <summary>The HTML body as a document to serve with <see cref="HeaderPolicy"/>; null when the message has no HTML body.</summary>
    public static string? Document(ReceivedMail message)
    {
        if (message.Html is not { } html)
            return null;
        var inlined = ContentIdUrl().Replace(html, match =>
        {
            var id = Uri.UnescapeDataString(match.Groups["id"].Value);
            if (message.ByContentId(id) is not { } part || !part.MediaType.StartsWith("image/", StringComparison.Ordinal) || part.DecodedBytes > MaxInlineImage)
                return match.Value;
            return ReceivedMail.Content(part) is { } bytes ? $"data:{part.MediaType};base64,{Convert.ToBase64String(bytes)}" : match.Value;
        });
        // The meta policy repeats the header's, so the document is just as closed wherever it is shown
        // (a browser applies every policy it is given; one in the mail itself can only restrict more).
        var document = new StringBuilder();
        document.Append("<!DOCTYPE html><meta charset=\"utf-8\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(Policy).Append("\">")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">")
            .Append(inlined);
        return document.ToString();
    }

    /// <summary>"cid:" URLs in attribute values or CSS (RFC 2392 section 2: cid:&lt;url-encoded Content-ID&gt;).</summary>
    [GeneratedRegex(@"cid:(?<id>[^""'\s)>]+)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentIdUrl();

    /// <summary>
    /// An attribute that loads on its own (src, srcset, background, poster, data, a link's href) or a
    /// CSS url()/@import whose value is an absolute "scheme://" or protocol-relative "//" URL.
    /// Links (&lt;a href&gt;) load only when clicked and do not count.
    /// </summary>
    [GeneratedRegex(@"(?:\b(?:src|srcset|background|poster|data|lowsrc|dynsrc)\s*=\s*[""']?\s*|<link\b[^>]*?\bhref\s*=\s*[""']?\s*|url\(\s*[""']?\s*|@import\s+[""']?\s*)(?:[a-z][a-z0-9+.-]*:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex RemoteReference();
}
