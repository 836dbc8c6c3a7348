using Netlab.Labs.Core;

namespace Netlab.Labs.Tests.Http;

/// <summary>A content root with a secret next to it and links that try to reach it.</summary>
public sealed class ContentRootTests : IDisposable
{
    private readonly string top = Directory.CreateTempSubdirectory("netlab-root-").FullName;
    private readonly ContentRoot root;

    public ContentRootTests()
    {
        var site = Directory.CreateDirectory(Path.Combine(top, "site")).FullName;
        File.WriteAllText(Path.Combine(top, "secret.txt"), "top secret");
        File.WriteAllText(Path.Combine(site, "index.html"), "home");
        Directory.CreateDirectory(Path.Combine(site, "docs"));
        File.WriteAllText(Path.Combine(site, "docs", "a b.txt"), "spaced");
        File.CreateSymbolicLink(Path.Combine(site, "escape.txt"), Path.Combine(top, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(site, "up"), top);
        File.CreateSymbolicLink(Path.Combine(site, "inside.txt"), Path.Combine(site, "index.html"));
        root = new ContentRoot(site);
    }

    public void Dispose() => Directory.Delete(top, recursive: true);

    [Theory]
    [InlineData("/index.html", "index.html")]
    [InlineData("/docs/a%20b.txt", "docs/a b.txt")]
    [InlineData("/./docs//a%20b.txt", "docs/a b.txt")]
    [InlineData("/inside.txt", "index.html")]
    public void Resolves_paths_inside_the_root(string url, string expected)
    {
        Assert.Equal(ContentRoot.Outcome.Found, root.TryResolveUrlPath(url, out var path));
        Assert.Equal(Path.Combine(root.RootPath, expected), path);
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/docs/../../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/%2E%2E/secret.txt")]
    [InlineData("/..%2fsecret.txt")]
    [InlineData("/..%5csecret.txt")]
    [InlineData("/..\\secret.txt")]
    [InlineData("/index.html%00.png")]
    [InlineData("/escape.txt")]
    [InlineData("/up/secret.txt")]
    [InlineData("/%c0%ae%c0%ae/secret.txt")]
    [InlineData("/%ZZ")]
    [InlineData("/C:/Windows")]
    public void Refuses_everything_that_could_leave_the_root(string url)
    {
        Assert.Equal(ContentRoot.Outcome.Forbidden, root.TryResolveUrlPath(url, out var path));
        Assert.Equal("", path);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("//etc/passwd")]
    [InlineData("/nope.html")]
    public void Absolute_looking_paths_stay_relative_to_the_root(string url)
    {
        Assert.Equal(ContentRoot.Outcome.NotFound, root.TryResolveUrlPath(url, out _));
    }
}
