namespace Pkg2d.Testing;

/// <summary>A test class that disposes what its tests hand to <see cref="Own"/> (chroots, repositories, folders) after each test.</summary>
public abstract class OwningTest : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    protected T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        // Last made, first gone: a folder inside another one goes before it.
        for (var i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        GC.SuppressFinalize(this);
    }
}
