"""The one vendor loop: a source's record batches as its export layout shapes them.

Every stage that reads leaked rows (the scan, ``case attach``, ``scan --people``) reads them
through :class:`VendorBatches`: the layout is recognised on the first batch (or forced with
``--vendor``, or given), every batch goes through the layout's transform, and what goes wrong
becomes a :class:`~breachscope.readers.base.ReadIssue` of that source instead of an exception:
a failed transform keeps the batch as read (``vendor_transform``), a reader that breaks down
stops that source only (``read_error``). An :class:`~breachscope.errors.InputError` (the input
as a whole is unusable) still propagates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from breachscope import vendors
from breachscope.errors import InputError
from breachscope.readers.base import Chunk, ReadIssue
from breachscope.readers.table import decode_dictionaries, safe_error
from breachscope.vendors.base import VendorMatch


class VendorBatches:
    """Iterate once: yields each chunk transformed; :attr:`match` is known after the first."""

    def __init__(
        self,
        source_name: str,
        chunks: Iterable[Chunk],
        *,
        vendor: str | None = None,
        match: VendorMatch | None = None,
        recognise: bool = True,
    ) -> None:
        self.source_name = source_name
        self._chunks = chunks
        self._vendor = vendor
        self._recognise = recognise
        self.match: VendorMatch | None = match
        self.issues: list[ReadIssue] = []

    def __iter__(self) -> Iterator[Chunk]:
        first = True
        try:
            for chunk in self._chunks:
                batch = chunk.batch
                if first:
                    first = False
                    if self.match is None and self._recognise:
                        self.match = vendors.recognise(
                            batch.schema.names, source_name=self.source_name, forced=self._vendor
                        )
                if self.match is not None and self.match.transform is not None:
                    try:  # a transform is written for plain columns
                        batch = self.match.transform(decode_dictionaries(batch))
                    except Exception as exc:  # a vendor transform must not stop the read
                        failed = f"{type(exc).__name__}: {safe_error(exc)}"
                        self._issue("vendor_transform", f"transform failed: {failed}")
                yield chunk if batch is chunk.batch else Chunk(chunk.offset, batch)
        except InputError:
            raise
        except Exception as exc:  # one unreadable source never stops the others
            self._issue("read_error", f"reading stopped: {type(exc).__name__}: {safe_error(exc)}")

    def _issue(self, kind: str, message: str) -> None:
        self.issues.append(ReadIssue(self.source_name, kind, message))
