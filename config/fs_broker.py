"""The demo's filesystem broker, whose messages appear whole.

kombu's filesystem transport writes a message straight into the folder the worker polls.
A worker that polls between the file's creation and its write moves away an empty file,
dies on it (``JSONDecodeError``, "Unrecoverable error") and the message is lost. Here a
message is written under a name the worker ignores, then renamed into place: a rename on
one filesystem is atomic, so the worker sees a whole message or none.
"""

import os
import time
import uuid

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # kombu's own name: the worker takes messages in this order, and only "*.<queue>.msg".
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.partial"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            raise ChannelError(f"Cannot add {name!r} to the broker folder") from error


class Transport(filesystem.Transport):
    Channel = Channel
