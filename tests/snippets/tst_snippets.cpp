// The documentation's code blocks are copies of compiled code (see snippetcheck.h), and the
// examples they come from do what the pages say (the snippets_*.cpp files, run here).

#include "docexamples.h"
#include "snippetcheck.h"

#include <QtCore/QDir>
#include <QtTest/QTest>

#include <memory>

class tst_Snippets : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        const QDir source(QStringLiteral(QLIFECYCLE_SOURCE_DIR));
        const QStringList suffixes = {QStringLiteral(".cpp"), QStringLiteral(".h"),
                                      QStringLiteral(".qml"), QStringLiteral("CMakeLists.txt")};
        QStringList files;
        for (const QString &dir : {QStringLiteral("examples"), QStringLiteral("tests")})
            files += SnippetCheck::filesUnder(source.filePath(dir), suffixes);
        // The checker's own comments show the marker syntax: they are not snippets.
        files.removeIf([](const QString &file) { return file.contains(u"/snippetcheck."); });
        QStringList errors;
        m_snippets = SnippetCheck::collectSnippets(files, &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        QVERIFY(!m_snippets.isEmpty());
    }

    void markdownBlocksAreCompiledCode_data()
    {
        QTest::addColumn<QString>("file");
        const QDir source(QStringLiteral(QLIFECYCLE_SOURCE_DIR));
        QTest::newRow("README.md") << source.filePath(QStringLiteral("README.md"));
        const QStringList pages =
            QDir(source.filePath(QStringLiteral("docs"))).entryList({QStringLiteral("*.md")});
        for (const QString &page : pages)
            QTest::newRow(qPrintable(page)) << source.filePath(QStringLiteral("docs/") + page);
    }

    void markdownBlocksAreCompiledCode()
    {
        QFETCH(QString, file);
        const QStringList errors = SnippetCheck::checkMarkdown(file, m_snippets, &m_used);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

private:
    QHash<QString, SnippetCheck::Snippet> m_snippets;
    QStringList m_used;
};

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int failures = 0;
    tst_Snippets check;
    failures += QTest::qExec(&check, argc, argv);
    for (QObject *(*make)() :
         {makeStartExamples, makeTaskExamples, makeTestingExamples, makePythonExamples,
          makeFaqExamples, makeDesktopExamples, makeSupervisionExamples, makeHealthExamples,
          makeObservabilityExamples}) {
        const std::unique_ptr<QObject> examples(make());
        failures += QTest::qExec(examples.get(), argc, argv);
    }
    return failures == 0 ? 0 : 1;
}

#include "tst_snippets.moc"
