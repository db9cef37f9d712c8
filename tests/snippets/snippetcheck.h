#pragma once

// Checks that the code blocks of the Markdown documentation are copies of compiled code.
//
// In a source file, a snippet is the text between two marker lines, in any comment syntax:
//     // [snippet:name]            (or # [snippet:name] in CMake, // in QML)
//     ...
//     // [/snippet:name]
// Its text is those lines, without the lines of other (nested) markers, dedented by their
// common indentation.
//
// In Markdown, the line just before a fenced block (blank lines aside) names its snippet:
//     <!-- snippet: name -->
//     ```cpp
// The block's text must equal the snippet's. Every ```cpp block needs a marker; blocks in
// other languages (sh, cmake, qml, text) are checked when they have one, and exempt otherwise.

#include <QtCore/QHash>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace SnippetCheck {

struct Snippet {
    QString file;
    int line = 0; // of the opening marker, 1-based
    QStringList lines;
};

// Every snippet found in `files`; a problem (an unclosed marker, a name defined twice) is
// appended to `errors`.
QHash<QString, Snippet> collectSnippets(const QStringList &files, QStringList *errors);

// Checks one Markdown file against `snippets`; returns its problems, and appends the names
// of the snippets it uses to `used`.
QStringList checkMarkdown(const QString &file, const QHash<QString, Snippet> &snippets,
                          QStringList *used);

// The files of `directory` (recursively) whose names end in one of `suffixes`, sorted;
// directories named in `skip` are not entered.
QStringList filesUnder(const QString &directory, const QStringList &suffixes,
                       const QStringList &skip = {});

} // namespace SnippetCheck
